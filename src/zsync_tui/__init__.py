"""zsync: keeps Zoho Billing and Zoho CRM in sync, from a terminal."""

__version__ = "0.1.0"
