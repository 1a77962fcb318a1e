// The OpenAPI 3.1 document served at /openapi.json. Generated from docs/openapi.json by
// scripts/embed-openapi: edit that file, then run the script. A test checks both are the same and
// match the router's routes.
package enum OpenAPIDocument {
    package static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "RoleSync",
    "version": "0.4.0",
    "description": "Sign-in (OpenID Connect), the signed-in user, and the admin API over the user ledger. Errors are RFC 9457 problem details with a stable `code`. Admin routes need `user_admin` or `super_admin`, through the session cookie (writes must be same-origin) or an API token (`Authorization: Bearer rs_…`, see `rolesync tokens create`)."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "components": {
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from `rolesync tokens create` (`rs_…`); it acts with its user's current role."
      },
      "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "rolesync_session",
        "description": "The session cookie (`__Host-rolesync_session` when the public URL is https)."
      }
    },
    "responses": {},
    "schemas": {
      "Problem": {
        "type": "object",
        "required": [
          "type",
          "title",
          "status",
          "detail",
          "code"
        ],
        "properties": {
          "type": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "status": {
            "type": "integer"
          },
          "detail": {
            "type": "string"
          },
          "code": {
            "type": "string",
            "description": "Stable, machine-readable."
          },
          "field": {
            "type": "string",
            "description": "The offending parameter or body field."
          },
          "request_id": {
            "type": "string"
          },
          "rule": {
            "type": "string",
            "description": "For `role_managed_by_idp`: the governing rule."
          },
          "mapping_file": {
            "type": "string",
            "description": "For `role_managed_by_idp`: the mapping file."
          }
        }
      },
      "Role": {
        "type": "string",
        "enum": [
          "super_admin",
          "model_admin",
          "provider_admin",
          "mcp_admin",
          "user_admin",
          "billing_admin",
          "user"
        ]
      },
      "Status": {
        "type": "string",
        "enum": [
          "active",
          "inactive"
        ]
      },
      "RoleManagedBy": {
        "type": "object",
        "required": [
          "kind"
        ],
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "idp",
              "manual"
            ]
          },
          "mapping_file": {
            "type": [
              "string",
              "null"
            ]
          },
          "rule": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "UserRow": {
        "type": "object",
        "required": [
          "id",
          "issuer",
          "subject",
          "email",
          "name",
          "organization_unit",
          "role",
          "role_source",
          "role_managed_by",
          "manual_role_editable",
          "status",
          "deactivation_reason",
          "deactivation_source",
          "registered_at",
          "last_sign_in_at",
          "sign_in_count"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "name": {
            "type": [
              "string",
              "null"
            ]
          },
          "email": {
            "type": [
              "string",
              "null"
            ]
          },
          "role": {
            "$ref": "#/components/schemas/Role"
          },
          "organization_unit": {
            "type": [
              "string",
              "null"
            ]
          },
          "last_sign_in_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "status": {
            "$ref": "#/components/schemas/Status"
          },
          "registered_at": {
            "type": "string",
            "format": "date-time"
          },
          "role_managed_by": {
            "$ref": "#/components/schemas/RoleManagedBy"
          },
          "manual_role_editable": {
            "type": "boolean"
          },
          "issuer": {
            "type": "string"
          },
          "subject": {
            "type": "string"
          },
          "role_source": {
            "type": "string",
            "enum": [
              "idp",
              "manual",
              "default"
            ],
            "description": "Who set the current role."
          },
          "deactivation_reason": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "idp",
              "manual",
              null
            ]
          },
          "sign_in_count": {
            "type": "integer"
          },
          "deactivation_source": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "mapping",
              "directory",
              "scim",
              null
            ],
            "description": "What deactivated the user when the reason is idp."
          }
        },
        "description": "A user, as every surface shows one: the admin API and `rolesync users list/show/sign-in --format json`. Every key is always present."
      },
      "UsersPage": {
        "type": "object",
        "required": [
          "users",
          "next_cursor"
        ],
        "properties": {
          "users": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/UserRow"
            }
          },
          "next_cursor": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "AuditEvent": {
        "type": "object",
        "required": [
          "id",
          "time",
          "actor",
          "action",
          "user_id",
          "issuer",
          "subject",
          "details"
        ],
        "properties": {
          "id": {
            "type": [
              "integer",
              "null"
            ]
          },
          "time": {
            "type": "string",
            "format": "date-time"
          },
          "actor": {
            "type": "string"
          },
          "action": {
            "type": "string",
            "enum": [
              "user.created",
              "user.profile_updated",
              "user.role_changed",
              "user.role_change_held",
              "user.status_changed",
              "user.status_change_held",
              "user.sessions_ended",
              "user.edit_refused",
              "user.decision_undetermined",
              "signin.refused",
              "token.created",
              "token.revoked"
            ]
          },
          "user_id": {
            "type": [
              "integer",
              "null"
            ]
          },
          "issuer": {
            "type": [
              "string",
              "null"
            ]
          },
          "subject": {
            "type": [
              "string",
              "null"
            ]
          },
          "details": {
            "type": "object"
          }
        }
      },
      "AuditPage": {
        "type": "object",
        "required": [
          "events",
          "next_cursor"
        ],
        "properties": {
          "events": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AuditEvent"
            }
          },
          "next_cursor": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "UserDetail": {
        "type": "object",
        "required": [
          "user",
          "activity",
          "recent_activity"
        ],
        "properties": {
          "user": {
            "$ref": "#/components/schemas/UserRow"
          },
          "activity": {
            "type": "object",
            "required": [
              "sign_ins",
              "role_changes",
              "refusals",
              "active_sessions",
              "last_refusal"
            ],
            "properties": {
              "sign_ins": {
                "type": "integer"
              },
              "role_changes": {
                "type": "integer"
              },
              "refusals": {
                "type": "integer"
              },
              "active_sessions": {
                "type": "integer"
              },
              "last_refusal": {
                "oneOf": [
                  {
                    "$ref": "#/components/schemas/AuditEvent"
                  },
                  {
                    "type": "null"
                  }
                ]
              }
            }
          },
          "recent_activity": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AuditEvent"
            }
          }
        }
      },
      "UserPatch": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": false,
        "properties": {
          "role": {
            "$ref": "#/components/schemas/Role"
          },
          "status": {
            "$ref": "#/components/schemas/Status"
          }
        }
      },
      "Mappings": {
        "type": "object",
        "required": [
          "mappings"
        ],
        "properties": {
          "mappings": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "issuer",
                "file",
                "unmatched",
                "require_conditions",
                "deactivate_rules",
                "rules",
                "tests"
              ],
              "properties": {
                "issuer": {
                  "type": "string"
                },
                "file": {
                  "type": "string"
                },
                "unmatched": {
                  "type": "string",
                  "enum": [
                    "manual",
                    "deny"
                  ]
                },
                "require_conditions": {
                  "type": "integer"
                },
                "deactivate_rules": {
                  "type": "integer"
                },
                "tests": {
                  "type": "integer"
                },
                "rules": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "required": [
                      "id",
                      "role"
                    ],
                    "properties": {
                      "id": {
                        "type": "string"
                      },
                      "role": {
                        "$ref": "#/components/schemas/Role"
                      }
                    }
                  }
                }
              }
            }
          }
        }
      },
      "Plan": {
        "type": "object",
        "required": [
          "users_evaluated",
          "undetermined",
          "held",
          "summary",
          "changes"
        ],
        "properties": {
          "users_evaluated": {
            "type": "integer"
          },
          "undetermined": {
            "type": "integer"
          },
          "held": {
            "type": "integer"
          },
          "summary": {
            "type": "object",
            "additionalProperties": {
              "type": "integer"
            }
          },
          "changes": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "user_id",
                "user",
                "issuer",
                "changes",
                "role",
                "covered",
                "status",
                "rule",
                "mapping",
                "held"
              ],
              "properties": {
                "user_id": {
                  "type": "integer"
                },
                "user": {
                  "type": "string"
                },
                "issuer": {
                  "type": "string"
                },
                "changes": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                },
                "role": {
                  "type": "object"
                },
                "covered": {
                  "type": "object"
                },
                "status": {
                  "type": "object"
                },
                "rule": {
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "mapping": {
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "held": {
                  "type": "boolean"
                }
              }
            }
          }
        }
      },
      "Me": {
        "type": "object",
        "required": [
          "id",
          "issuer",
          "email",
          "name",
          "role",
          "role_source",
          "status",
          "eligibility"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "issuer": {
            "type": "string"
          },
          "email": {
            "type": [
              "string",
              "null"
            ]
          },
          "name": {
            "type": [
              "string",
              "null"
            ]
          },
          "role": {
            "$ref": "#/components/schemas/Role"
          },
          "role_source": {
            "type": "string",
            "enum": [
              "idp",
              "manual",
              "default"
            ]
          },
          "status": {
            "$ref": "#/components/schemas/Status"
          },
          "eligibility": {
            "type": "object",
            "required": [
              "covered",
              "manual_role_editable",
              "determined",
              "mapping_file",
              "rule",
              "mapped_role"
            ],
            "properties": {
              "covered": {
                "type": "boolean"
              },
              "manual_role_editable": {
                "type": "boolean"
              },
              "determined": {
                "type": "boolean"
              },
              "mapping_file": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "rule": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "mapped_role": {
                "type": [
                  "string",
                  "null"
                ]
              }
            }
          }
        }
      },
      "Health": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ok",
              "unavailable"
            ]
          }
        }
      }
    }
  },
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "health",
        "summary": "Whether the ledger answers.",
        "responses": {
          "200": {
            "description": "Healthy.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          },
          "503": {
            "description": "The ledger does not answer.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics.",
        "responses": {
          "200": {
            "description": "Prometheus text exposition.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "description": "Metrics are not enabled."
          }
        },
        "security": []
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "The OpenAPI document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/": {
      "get": {
        "operationId": "home",
        "summary": "The signed-in summary, or sign-in links.",
        "responses": {
          "200": {
            "description": "A page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/auth/login": {
      "get": {
        "operationId": "login",
        "summary": "Start a sign-in: redirect to the identity provider.",
        "parameters": [
          {
            "name": "idp",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "A configured provider's name or issuer; default the only one."
          },
          {
            "name": "return_to",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "A path on this site to return to after sign-in."
          }
        ],
        "responses": {
          "200": {
            "description": "With several providers and none named: a page to choose.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "302": {
            "description": "To the provider's authorization endpoint.",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "An unknown provider or an invalid return_to. The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "502": {
            "description": "The provider cannot be reached. The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/auth/callback": {
      "get": {
        "operationId": "callback",
        "summary": "Complete a sign-in.",
        "parameters": [
          {
            "name": "code",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "The authorization code."
          },
          {
            "name": "state",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "The state sent with /auth/login."
          },
          {
            "name": "iss",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "The issuer (RFC 9207)."
          },
          {
            "name": "error",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "The provider's error."
          },
          {
            "name": "error_description",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "The provider's error text."
          }
        ],
        "responses": {
          "302": {
            "description": "Signed in: to return_to or /.",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "description": "A bad, replayed or expired callback, a provider error, or a refused code exchange. The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "description": "The ID token or userinfo failed a check. The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "403": {
            "description": "The ledger refused the sign-in (mapping rules, deactivation). The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "502": {
            "description": "The provider cannot be reached. The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/auth/logout": {
      "post": {
        "operationId": "logout",
        "summary": "End the session.",
        "responses": {
          "204": {
            "description": "Signed out (JSON clients)."
          },
          "303": {
            "description": "Signed out: to /.",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "403": {
            "description": "A cross-site request. The text/html body is for browsers (no Accept: application/json).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/api/me": {
      "get": {
        "operationId": "me",
        "summary": "The caller (session cookie or API token), with the role as of this request.",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The user.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Me"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/admin/users": {
      "get": {
        "operationId": "listUsers",
        "summary": "Users: search, filter, sort, page.",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "parameters": [
          {
            "name": "q",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 200
            },
            "description": "Case-insensitive substring of the name or email."
          },
          {
            "name": "role",
            "in": "query",
            "required": false,
            "schema": {
              "$ref": "#/components/schemas/Role"
            },
            "description": "Only this role."
          },
          {
            "name": "status",
            "in": "query",
            "required": false,
            "schema": {
              "$ref": "#/components/schemas/Status"
            },
            "description": "Only this status."
          },
          {
            "name": "sort",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "name",
                "email",
                "role",
                "last_sign_in",
                "registered"
              ],
              "default": "name"
            },
            "description": "Sort key."
          },
          {
            "name": "order",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "asc",
                "desc"
              ],
              "default": "asc"
            },
            "description": "Sort order."
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 200,
              "default": 50
            },
            "description": "Page size."
          },
          {
            "name": "cursor",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024
            },
            "description": "The `next_cursor` of the previous page."
          }
        ],
        "responses": {
          "200": {
            "description": "A page of users.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UsersPage"
                }
              }
            }
          },
          "400": {
            "description": "A parameter or the body is invalid; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in (no session, or an unknown, expired or revoked token).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "403": {
            "description": "Signed in without the permission (user_admin or super_admin), or a cross-site write with the session cookie.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/admin/users/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": 9223372036854775807
          },
          "description": "The user id."
        }
      ],
      "get": {
        "operationId": "showUser",
        "summary": "A user's profile, activity summary and recent activity.",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The user.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UserDetail"
                }
              }
            }
          },
          "400": {
            "description": "A parameter or the body is invalid; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in (no session, or an unknown, expired or revoked token).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "403": {
            "description": "Signed in without the permission (user_admin or super_admin), or a cross-site write with the session cookie.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "404": {
            "description": "No such user.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      },
      "patch": {
        "operationId": "editUser",
        "summary": "Change a user's role and/or status (both or neither).",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/UserPatch"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The user after the change.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UserDetail"
                }
              }
            }
          },
          "400": {
            "description": "A parameter or the body is invalid; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in (no session, or an unknown, expired or revoked token).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "403": {
            "description": "Not permitted, an escalation (only a super_admin grants, revokes or deactivates super_admin), or a cross-site write.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "404": {
            "description": "No such user.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "409": {
            "description": "The role is managed by the IdP (`rule`, `mapping_file`), the user is the last active super_admin, or the IdP deactivated them.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "413": {
            "description": "The body is too large.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "422": {
            "description": "An unknown role or status; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "503": {
            "description": "Concurrent changes; try again.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/admin/audit": {
      "get": {
        "operationId": "audit",
        "summary": "The audit log, newest first.",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "parameters": [
          {
            "name": "user",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 9223372036854775807
            },
            "description": "Only this user's events."
          },
          {
            "name": "action",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "user.created",
                "user.profile_updated",
                "user.role_changed",
                "user.role_change_held",
                "user.status_changed",
                "user.status_change_held",
                "user.sessions_ended",
                "user.edit_refused",
                "user.decision_undetermined",
                "signin.refused",
                "token.created",
                "token.revoked"
              ]
            },
            "description": "Only this action."
          },
          {
            "name": "actor",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "pattern": "^(idp|reconciler|scim|cli|user:[0-9]{1,18})$"
            },
            "description": "Only this actor."
          },
          {
            "name": "since",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "anyOf": [
                {
                  "format": "date-time"
                },
                {
                  "format": "date"
                }
              ]
            },
            "description": "From this time: an RFC 3339 time (2026-11-27T10:00:00Z) or a date (2026-11-27, midnight UTC), the grammar the command line's --since takes too."
          },
          {
            "name": "until",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "anyOf": [
                {
                  "format": "date-time"
                },
                {
                  "format": "date"
                }
              ]
            },
            "description": "Before this time, in the same grammar as since."
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 200,
              "default": 50
            },
            "description": "Page size."
          },
          {
            "name": "cursor",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 1024
            },
            "description": "The `next_cursor` of the previous page."
          }
        ],
        "responses": {
          "200": {
            "description": "A page of events.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AuditPage"
                }
              }
            }
          },
          "400": {
            "description": "A parameter or the body is invalid; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in (no session, or an unknown, expired or revoked token).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "403": {
            "description": "Signed in without the permission (user_admin or super_admin), or a cross-site write with the session cookie.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/admin/mapping": {
      "get": {
        "operationId": "mappings",
        "summary": "The mappings in force.",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The mappings.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Mappings"
                }
              }
            }
          },
          "400": {
            "description": "A parameter or the body is invalid; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in (no session, or an unknown, expired or revoked token).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "403": {
            "description": "Signed in without the permission (user_admin or super_admin), or a cross-site write with the session cookie.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/admin/mapping/dry-run": {
      "post": {
        "operationId": "mappingDryRun",
        "summary": "What a mapping would change for every user; nothing is written.",
        "security": [
          {
            "bearerAuth": []
          },
          {
            "cookieAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/yaml": {
              "schema": {
                "type": "string"
              },
              "example": "version: 1\nissuer: https://idp.example.com\nroles:\n  - id: admins\n    role: super_admin\n    when: { claim: groups, contains: admins }\nunmatched: manual\n"
            }
          }
        },
        "responses": {
          "200": {
            "description": "The plan.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Plan"
                }
              }
            }
          },
          "400": {
            "description": "A parameter or the body is invalid; `field` names it.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "401": {
            "description": "Not signed in (no session, or an unknown, expired or revoked token).",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "403": {
            "description": "Signed in without the permission (user_admin or super_admin), or a cross-site write with the session cookie.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "413": {
            "description": "The body is too large.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "422": {
            "description": "The mapping is invalid; `detail` lists line:column: message.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    }
  }
}

"""#
}
