"""The wall between municipalities.

This package knows nothing of training. It holds the municipality model, the
org-unit tree, the region's member list as data, and the one mechanism that
scopes every ORM query and every new row to the current municipality.
"""

from tenants.scoping import (
    TenantScoped,
    TenantViolation,
    adopt,
    all_tenants,
    current_tenant_id,
    entity_columns,
    install_scoping,
    set_current_tenant,
)

__all__ = [
    "TenantScoped",
    "TenantViolation",
    "adopt",
    "all_tenants",
    "current_tenant_id",
    "entity_columns",
    "install_scoping",
    "set_current_tenant",
]
