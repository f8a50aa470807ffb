"""The wire: OAuth per data centre, retries, budgets, the CRM v8 and Billing v1 clients."""
