"""Customer look-up keys are normalised like imported values (SPEC 4 field rules)."""

from dataimport.orgs import OrgConfig, SPEC_EXAMPLE
from dataimport.profiles.customer.lookup import lookup_key

ORG = OrgConfig.model_validate(SPEC_EXAMPLE)  # base country IN


def test_national_mobile_takes_the_base_country():
    assert lookup_key("mobile", "9876543210", ORG) == "919876543210"
    assert lookup_key("mobile", "+91 98765 43210", ORG) == "919876543210"
    assert lookup_key("mobile", "919876543210", ORG) == "919876543210"


def test_email_is_looked_up_lower_case():
    assert lookup_key("email", "A.Person@Example.COM", ORG) == "a.person@example.com"


def test_values_that_do_not_normalise_are_used_as_given():
    assert lookup_key("mobile", "12", ORG) == "12"
    assert lookup_key("mobile", "9876543210", None) == "9876543210"  # org not configured yet
    assert lookup_key("external_id", " C1 ", ORG) == " C1 "
