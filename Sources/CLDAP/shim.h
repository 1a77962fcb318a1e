// OpenLDAP's client library (Debian: libldap-dev), as RoleSyncLDAP calls it.
#ifndef ROLESYNC_CLDAP_SHIM_H
#define ROLESYNC_CLDAP_SHIM_H
#include <lber.h>
#include <ldap.h>
#endif
