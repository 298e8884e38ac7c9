"""Under the Content-Security-Policy (no inline script or style) the pages still work in a real browser; the
`page` fixture fails any test on a blocked resource, so every browser test also proves the policy holds."""

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.browser


def test_the_api_docs_render_swagger_ui_and_the_policy_blocks_injected_script(page, log_in):
    MembershipFactory(tenant=TenantFactory(name="CSP商事"), user=UserFactory(username="csp"))
    log_in("csp")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CRM-to-accounting hub API")
    # an injected inline script does not run (what an XSS would try)
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = true'; document.head.appendChild(s); }""")
    for _ in range(50):  # the violation report arrives as a console message, asynchronously
        if page.csp_violations:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.injected === undefined")
    assert len(page.csp_violations) == 1 and "inline script" in page.csp_violations[0]
    page.csp_violations.clear()  # expected: the fixture fails on any other violation
