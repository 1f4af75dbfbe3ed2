"""Pure domain: vendors, clients, orders, checks. No framework, no database, no clock."""
