"""Login, logout and password change; lockout comes from django-axes (by username and IP)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.shortcuts import redirect, render

from ylyx.audit.services import record


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            user.must_change_password = False
            user.save(update_fields=["must_change_password", "password_changed_at"])
            record(user, "password_change", user)
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改")
        return redirect("workspace:home")
    return render(request, "accounts/password_change.html", {"form": form, "title": "修改密码"},
                  status=400 if request.method == "POST" else 200)
