"""The navigation shell: each role sees its own sections, the user menu names role and organization."""

from carecoord.web.testing import signed_in


def test_shell_for_a_supervisor(client, sam_supervisor):
    signed_in(client, sam_supervisor)
    html = client.get("/patients/").content.decode()
    assert 'href="#main"' in html and "Skip to main content" in html
    assert "Break-the-glass review" in html and "Audit trail" not in html and "Administration" not in html
    assert "Supervisor" in html and "Brooklyn Care Partners" in html
    assert 'aria-current="page"' in html
    assert "/static/web/carecoord.js" in html and "/static/django_htmx/htmx-2.min.js" in html
    assert "style=" not in html  # CSP: no inline style attributes


def test_shell_for_an_auditor(client, audrey_auditor):
    signed_in(client, audrey_auditor)
    html = client.get("/audit/").content.decode()
    assert "Audit trail" in html and ">Patients<" not in html


def test_no_navigation_before_the_second_factor(client, bob_coordinator):
    client.force_login(bob_coordinator)
    html = client.get("/accounts/mfa/").content.decode()
    assert 'class="mainnav"' not in html and "Sign out" in html


def test_csp_header(client, db):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
