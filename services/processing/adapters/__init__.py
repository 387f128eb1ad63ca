"""processing's adapters: the table mapping, repositories and unit of work, the read
side, the departments' task queues and the printable forms."""
