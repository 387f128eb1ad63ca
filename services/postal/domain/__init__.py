"""postal's domain: the shipment (bưu gửi) of a result or of a collected dossier,
its carrier order and tracking, and the transit norms. Framework-free: the rules
take the time, the calendar and the settings as arguments."""
