"""Error pages: plain Chinese HTML for pages, JSON for ``/api/``; the 500 page carries the request id.

These never render the site's base template (it needs the user, the database and the context processors,
any of which may be what failed), and never show a traceback: production and the demo run with DEBUG off.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

from .middleware import current_request_id

PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.6}}
code{{background:#f3f3f3;padding:0 .3em}}</style></head>
<body><h1>{title}</h1><p>{message}</p>{extra}<p><a href="/">返回首页</a></p></body></html>
"""


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _respond(request, status: int, title: str, message: str, with_id: bool = False):
    request_id = current_request_id() or getattr(request, "request_id", "")
    if _is_api(request):
        body = {"detail": message}
        if with_id:
            body["request_id"] = request_id
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    extra = f"<p>请求编号：<code>{escape(request_id)}</code>（联系管理员时请提供）</p>" if with_id else ""
    return HttpResponse(PAGE.format(title=title, message=escape(message), extra=extra), status=status,
                        content_type="text/html; charset=utf-8")


def bad_request(request, exception=None):
    return _respond(request, 400, "请求无效", "请求格式不正确，请检查后重试。")


def permission_denied(request, exception=None):
    # The services' PermissionDenied messages are Chinese sentences meant for the user ("超出您的管辖范围…").
    message = str(exception) if exception is not None and exception.args else ""
    return _respond(request, 403, "无权访问", message or "您没有执行此操作的权限。")


def not_found(request, exception=None):
    return _respond(request, 404, "未找到", "未找到" if _is_api(request) else "您访问的页面不存在，或不在您的管辖范围内。")


def server_error(request):
    return _respond(request, 500, "服务器内部错误", "服务器内部错误" if _is_api(request)
                    else "服务器处理请求时出错，我们已记录此问题。", with_id=True)
