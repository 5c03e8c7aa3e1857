"""Persistence: table definitions, the DynamoDB connection, mapping, unit of work."""
