"""A faithful emulator of Zoho Accounts, CRM v8 and Billing v1; the other side of the wire."""
