"""notify's adapters: the ORM mapping, repositories, queries and the clients of outside systems
(SMS gateway, SMTP), templates and the rate limit."""
