"""The receipt (Form 01, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả") as printable HTML,
with a QR code that opens the citizen lookup for this dossier."""
from urllib.parse import urlencode

import jinja2
import segno

from shared import clock
from shared.http import ApiError

TEMPLATE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Giấy tiếp nhận hồ sơ {{ d.code }}</title>
<style>
 body { font-family: "Times New Roman", serif; max-width: 18cm; margin: 1cm auto; font-size: 13pt; }
 .head { display: flex; justify-content: space-between; text-align: center; }
 h1 { font-size: 15pt; text-align: center; margin: 1em 0 0.2em; }
 table.docs { border-collapse: collapse; width: 100%; } table.docs td, table.docs th { border: 1px solid #000; padding: 2px 6px; }
 .sign { display: flex; justify-content: space-around; text-align: center; margin-top: 2em; }
 .qr { float: right; text-align: center; font-size: 10pt; }
 @media print { .noprint { display: none; } }
</style></head><body>
<div class="head">
 <div><b>{{ agency }}</b><br><b>BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ</b></div>
 <div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b><br>
  <i>{{ place }}, ngày {{ received.day }} tháng {{ received.month }} năm {{ received.year }}</i></div>
</div>
<p>Mã hồ sơ: <b id="code">{{ d.code }}</b></p>
<h1>GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ</h1>
<div class="qr">{{ qr | safe }}<br>Quét để tra cứu</div>
<p>Bộ phận tiếp nhận và trả kết quả {{ agency }}</p>
<p>Tiếp nhận hồ sơ của: <b id="applicant">{{ d.applicant_name }}</b></p>
<p>Địa chỉ: {{ d.address or "" }}</p>
<p>Số điện thoại: {{ d.phone or "" }} &nbsp; Email: {{ d.email or "" }}</p>
<p>Nội dung yêu cầu giải quyết: <b id="procedure">{{ p.name }}</b> (mã thủ tục {{ p.code }}, phiên bản {{ p.version }})</p>
<p>1. Thành phần hồ sơ nộp gồm:</p>
<table class="docs"><tr><th>STT</th><th>Tên giấy tờ</th><th>Số bản</th></tr>
{% for doc in d.documents %}<tr><td>{{ loop.index }}</td><td>{{ doc.name }}</td><td>{{ doc.copies }}</td></tr>{% endfor %}
</table>
<p>2. Số lượng hồ sơ: 01 bộ</p>
<p>3. Thời gian giải quyết hồ sơ theo quy định: <span id="duration">{{ p.duration_days }}</span> ngày làm việc</p>
<p>4. Thời gian nhận hồ sơ: <span id="received_at">{{ received.strftime("%H giờ %M phút, ngày %d/%m/%Y") }}</span>
 (kênh {{ channel }})</p>
<p>5. Thời gian trả kết quả giải quyết hồ sơ: <span id="due_at">{{ due.strftime("%H giờ %M phút, ngày %d/%m/%Y") }}</span></p>
<p>6. Đăng ký nhận kết quả tại: <span id="return">{{ return_to }}</span></p>
<p>Lệ phí: {{ "{:,}".format(p.fee).replace(",", ".") }} đồng</p>
<p>Vào Sổ theo dõi hồ sơ, số thứ tự: {{ number }}</p>
<div class="sign">
 <div><b>NGƯỜI NỘP HỒ SƠ</b><br><i>(Ký và ghi rõ họ tên)</i><br><br><br>{{ d.applicant_name }}</div>
 <div><b>NGƯỜI TIẾP NHẬN HỒ SƠ</b><br><i>(Ký và ghi rõ họ tên)</i><br><br><br>{{ d.received_by }}</div>
</div>
<p class="noprint"><button id="print">In giấy tiếp nhận</button></p>
<script>{{ print_script | safe }}</script>
</body></html>""")

# The page's one script, allowed by its hash in the Content-Security-Policy (no inline handlers).
PRINT_SCRIPT = 'document.getElementById("print").addEventListener("click", function () { window.print(); });'
SCRIPTS = (PRINT_SCRIPT,)

CHANNELS = {"counter": "trực tiếp", "online": "trực tuyến", "postal": "bưu chính công ích"}


def lookup_link(public_url, code):
    return f"{public_url.rstrip('/')}/tra-cuu?{urlencode({'code': code})}"


def render(dossier, procedure, public_url, place="Hải Phòng"):
    if dossier.received_at is None:
        raise ApiError(409, "not_received", f"Hồ sơ {dossier.code} chưa được tiếp nhận nên chưa có giấy tiếp nhận")
    qr = segno.make(lookup_link(public_url, dossier.code), error="m").svg_inline(scale=3)
    return_to = ("Bộ phận Một cửa (trả trực tiếp)" if dossier.return_method == "counter"
                 else f"Qua bưu chính công ích, địa chỉ: {dossier.delivery_address}")
    return TEMPLATE.render(d=dossier, p=procedure, qr=qr, agency=dossier.agency_code, place=place,
                           received=clock.local(dossier.received_at), due=clock.local(dossier.due_at),
                           channel=CHANNELS[dossier.channel], return_to=return_to,
                           number=dossier.code.rsplit("-", 1)[1], print_script=PRINT_SCRIPT)


_PAGES = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

# The citizen's form: POSTed, so the CCCD never appears in a URL (history, logs, Referer).
LOOKUP_PAGE = _PAGES.from_string("""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Tra cứu hồ sơ</title></head><body>
<h1>Tra cứu tình trạng hồ sơ</h1>
{% if error %}<p id="error" role="alert">{{ error.message }}
{% for problems in error.fields.values() %}{% for problem in problems %}<br>{{ problem }}{% endfor %}{% endfor %}</p>
{% endif %}
<form method="post" action="/tra-cuu">
 <label>Mã hồ sơ <input name="code" value="{{ code }}" maxlength="40" required></label><br>
 <label>Số CCCD <input name="id_number" inputmode="numeric" pattern="[0-9]{12}" maxlength="12" autocomplete="off"
  required></label><br>
 <button type="submit">Tra cứu</button>
</form></body></html>""")

RESULT_PAGE = _PAGES.from_string("""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Hồ sơ {{ v.code }}</title></head><body>
<h1>Tình trạng hồ sơ</h1>
<p>Mã hồ sơ: <b id="code">{{ v.code }}</b></p>
<p>Thủ tục: {{ v.procedure }}</p>
<p>Tình trạng: <b id="status">{{ v.status_label }}</b>{% if v.overdue %} (quá hạn){% endif %}</p>
{% if v.received_at %}<p>Tiếp nhận lúc: {{ local(v.received_at) }}</p>{% endif %}
{% if v.appointment %}<p>Hẹn trả kết quả: <span id="appointment">{{ local(v.appointment) }}</span>
{% if v.rescheduled %} (đã hẹn lại){% endif %}</p>{% endif %}
{% if v.returned_at %}<p>Đã trả kết quả lúc: {{ local(v.returned_at) }}</p>{% endif %}
<p>Nhận kết quả: {{ v.collect.where }}</p>
<p><a href="/tra-cuu">Tra cứu hồ sơ khác</a></p>
</body></html>""")


def _local(moment):
    return clock.local(moment).strftime("%H giờ %M phút, ngày %d/%m/%Y")


def lookup_page(code, error=None):
    return LOOKUP_PAGE.render(code=code or "", error=error)


def lookup_result_page(view):
    return RESULT_PAGE.render(v=view, local=_local)
