"""Development mode's demo accounts (created at start-up, printed by `motcua up`);
the same people as the development tokens."""

DEMO_PASSWORD = "motcua-demo-2026"
DEMO_ACCOUNTS = (
    {"username": "canbo.motcua", "full_name": "Nguyễn Thị Lan", "role": "counter", "agency": "000.00.06.H56"},
    {"username": "chuyenvien.qldt", "full_name": "Trần Văn Minh", "role": "officer", "department": "QLDT"},
    {"username": "lanhdao", "full_name": "Phạm Quốc Hùng", "role": "officer", "department": "LANHDAO"},
    {"username": "chuyenvien.tuphap", "full_name": "Lê Thu Hà", "role": "officer", "department": "TUPHAP"},
    {"username": "quantri", "full_name": "Hoàng Anh Tuấn", "role": "admin"},
)
