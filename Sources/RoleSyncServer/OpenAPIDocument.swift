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
            "description": "Sign-in (OpenID Connect), the signed-in user, and the admin API over the user ledger. Errors are RFC 9457 problem details with a stable `code`. Admin routes need `user_admin` or `super_admin`, through the session cookie (writes must be same-origin) or an admin API key (`Authorization: Bearer rsk_…`, see `rolesync keys create`). The AI gateway checks gateway keys at `/oauth/introspect` (RFC 7662) with HTTP Basic."
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
                "description": "An admin API key (`rsk_…`, purpose `admin`) from `rolesync keys create --purpose admin` or `POST /api/admin/keys`; it acts with its owner's current role. Gateway keys are not accepted here."
              },
              "cookieAuth": {
                "type": "apiKey",
                "in": "cookie",
                "name": "rolesync_session",
                "description": "The session cookie (`__Host-rolesync_session` when the public URL is https)."
              },
              "gatewayBasic": {
                "type": "http",
                "scheme": "basic",
                "description": "An AI gateway's `client_id` and secret, as configured under `gateways:` in rolesync.yaml."
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
                  "sign_in_count",
                  "override"
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
                  },
                  "override": {
                    "oneOf": [
                      {
                        "$ref": "#/components/schemas/Override"
                      },
                      {
                        "type": "null"
                      }
                    ],
                    "description": "A break-glass override in force (the role holds until `until`, then the mapped role returns), or null."
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
                      "key.created",
                      "key.revoked",
                      "token.created",
                      "token.revoked",
                      "user.override_granted",
                      "user.override_ended",
                      "mapping.promoted"
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
                  "changes",
                  "overrides_kept"
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
                  },
                  "overrides_kept": {
                    "type": "array",
                    "description": "Users whose mapped role differs but waits for their break-glass override to end: nothing changes for them.",
                    "items": {
                      "type": "object",
                      "required": [
                        "user_id",
                        "user",
                        "role",
                        "mapped_role",
                        "until"
                      ],
                      "properties": {
                        "user_id": {
                          "type": "integer"
                        },
                        "user": {
                          "type": "string"
                        },
                        "role": {
                          "$ref": "#/components/schemas/Role"
                        },
                        "mapped_role": {
                          "$ref": "#/components/schemas/Role"
                        },
                        "until": {
                          "type": [
                            "string",
                            "null"
                          ],
                          "format": "date-time"
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
              },
              "KeyPurpose": {
                "type": "string",
                "enum": [
                  "gateway",
                  "admin"
                ],
                "description": "`gateway`: a key the AI gateway checks through /oauth/introspect. `admin`: a bearer credential for this API, acting with its owner's current role."
              },
              "KeyStatus": {
                "type": "string",
                "enum": [
                  "active",
                  "revoked",
                  "expired"
                ],
                "description": "`expired`: past `expires_at` and never revoked."
              },
              "Key": {
                "type": "object",
                "required": [
                  "id",
                  "name",
                  "purpose",
                  "prefix",
                  "status",
                  "owner",
                  "created_at",
                  "expires_at",
                  "last_used_at",
                  "revoked_at",
                  "revoked_by",
                  "revocation_reason"
                ],
                "properties": {
                  "id": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "description": "1 to 100 characters."
                  },
                  "purpose": {
                    "$ref": "#/components/schemas/KeyPurpose"
                  },
                  "prefix": {
                    "type": "string",
                    "pattern": "^(rsk_[0-9A-Za-z]{3}…[0-9A-Za-z]{4}|rs_[0-9A-Za-z_-]{8}…)$",
                    "description": "For display: the key's first 7 characters, an ellipsis and its last 4 (`rsk_Ab3…x9Qz`). An admin API token from before keys shows its first 11 characters and an ellipsis (`rs_AbCdEfGh…`)."
                  },
                  "status": {
                    "$ref": "#/components/schemas/KeyStatus"
                  },
                  "owner": {
                    "type": "object",
                    "required": [
                      "id",
                      "name",
                      "email"
                    ],
                    "properties": {
                      "id": {
                        "type": "integer",
                        "minimum": 1
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
                      }
                    },
                    "description": "The user the key acts for."
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "expires_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time",
                    "description": "Null: never expires."
                  },
                  "last_used_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time",
                    "description": "Recorded at most once per `usage_precision_seconds`; null: never used."
                  },
                  "revoked_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "revoked_by": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "pattern": "^(idp|reconciler|scim|cli|user:[0-9]{1,18})$",
                    "description": "The actor that revoked it: `user:ID`, `cli`, `idp`, `scim` or `reconciler`."
                  },
                  "revocation_reason": {
                    "type": [
                      "string",
                      "null"
                    ]
                  }
                },
                "description": "An API key, as every surface shows one. Every key is always present; the value itself never is (see CreatedKey).",
                "examples": [
                  {
                    "id": 12,
                    "name": "checkout-service-prod",
                    "purpose": "gateway",
                    "prefix": "rsk_Ab3…x9Qz",
                    "status": "active",
                    "owner": {
                      "id": 3,
                      "name": "Ada Lovelace",
                      "email": "ada@example.com"
                    },
                    "created_at": "2026-11-02T09:14:00Z",
                    "expires_at": "2027-01-31T09:14:00Z",
                    "last_used_at": "2026-11-30T17:41:00Z",
                    "revoked_at": null,
                    "revoked_by": null,
                    "revocation_reason": null
                  }
                ]
              },
              "CreatedKey": {
                "allOf": [
                  {
                    "$ref": "#/components/schemas/Key"
                  },
                  {
                    "type": "object",
                    "required": [
                      "key"
                    ],
                    "properties": {
                      "key": {
                        "type": "string",
                        "pattern": "^rsk_[0-9A-Za-z]{42}$",
                        "description": "The key itself. Shown only in this answer: only its hash is stored."
                      }
                    }
                  }
                ],
                "description": "A key just created, with its value."
              },
              "KeysPage": {
                "type": "object",
                "required": [
                  "keys",
                  "next_cursor"
                ],
                "properties": {
                  "keys": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Key"
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
              "KeyList": {
                "type": "object",
                "required": [
                  "keys"
                ],
                "properties": {
                  "keys": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Key"
                    }
                  }
                }
              },
              "KeyDetail": {
                "allOf": [
                  {
                    "$ref": "#/components/schemas/Key"
                  },
                  {
                    "type": "object",
                    "required": [
                      "usage",
                      "usage_precision_seconds"
                    ],
                    "properties": {
                      "usage": {
                        "type": "array",
                        "minItems": 90,
                        "maxItems": 90,
                        "items": {
                          "type": "object",
                          "required": [
                            "day",
                            "requests"
                          ],
                          "properties": {
                            "day": {
                              "type": "string",
                              "format": "date"
                            },
                            "requests": {
                              "type": "integer",
                              "minimum": 0
                            }
                          }
                        },
                        "description": "Requests per day (UTC) for the 90 days ending today, oldest first; days without use are 0."
                      },
                      "usage_precision_seconds": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "How far `last_used_at` and `usage` may lag behind the key's use."
                      }
                    }
                  }
                ],
                "description": "A key with its use over the last 90 days."
              },
              "KeyCreate": {
                "type": "object",
                "required": [
                  "name"
                ],
                "additionalProperties": false,
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 100,
                    "pattern": "^[\\t \\xA0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]*[^\\x00-\\x1F\\x7F-\\x9F\\xAD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB]*[^\\x00-\\x1F\\x7F-\\x9F\\xAD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB \\xA0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000][^\\x00-\\x1F\\x7F-\\x9F\\xAD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB]*[\\t \\xA0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]*$",
                    "description": "1 to 100 characters, not all spaces, none of them a control or format character. Leading and trailing spaces and tabs are trimmed. Unique among the owner's active keys."
                  },
                  "expires_in": {
                    "type": "string",
                    "maxLength": 12,
                    "pattern": "^0*[1-9][0-9]*[smhd]?$",
                    "description": "How long the key lives: seconds (`3600`), or a number with a unit (`90s`, `30m`, `12h`, `90d`). Without it the key never expires. More than zero and at most 3650 days; longer is a 422."
                  }
                }
              },
              "AdminKeyCreate": {
                "type": "object",
                "required": [
                  "name"
                ],
                "additionalProperties": false,
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 100,
                    "pattern": "^[\\t \\xA0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]*[^\\x00-\\x1F\\x7F-\\x9F\\xAD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB]*[^\\x00-\\x1F\\x7F-\\x9F\\xAD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB \\xA0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000][^\\x00-\\x1F\\x7F-\\x9F\\xAD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB]*[\\t \\xA0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]*$",
                    "description": "1 to 100 characters, not all spaces, none of them a control or format character. Leading and trailing spaces and tabs are trimmed. Unique among the owner's active keys."
                  },
                  "expires_in": {
                    "type": "string",
                    "maxLength": 12,
                    "pattern": "^0*[1-9][0-9]*[smhd]?$",
                    "description": "How long the key lives: seconds (`3600`), or a number with a unit (`90s`, `30m`, `12h`, `90d`). Without it the key never expires. More than zero and at most 3650 days; longer is a 422."
                  },
                  "purpose": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/KeyPurpose"
                      }
                    ],
                    "default": "gateway"
                  }
                }
              },
              "Revocation": {
                "type": "object",
                "required": [
                  "reason"
                ],
                "additionalProperties": false,
                "properties": {
                  "reason": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 500,
                    "pattern": "[^\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]",
                    "description": "Why, for the audit log and the key's `revocation_reason`: 1 to 500 characters, not all whitespace (trimmed)."
                  }
                }
              },
              "OwnerRevocation": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "reason": {
                    "type": "string",
                    "maxLength": 500,
                    "description": "Why, for the audit log and the key's `revocation_reason`: at most 500 characters (trimmed); empty or blank is the same as none."
                  }
                }
              },
              "Offboarding": {
                "type": "object",
                "required": [
                  "reason"
                ],
                "additionalProperties": false,
                "properties": {
                  "reason": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 500,
                    "pattern": "[^\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]",
                    "description": "Why, for the audit log and each revoked key's `revocation_reason`: 1 to 500 characters."
                  }
                }
              },
              "OffboardingResult": {
                "type": "object",
                "required": [
                  "user",
                  "revoked_keys",
                  "sessions_ended"
                ],
                "properties": {
                  "user": {
                    "$ref": "#/components/schemas/UserDetail"
                  },
                  "revoked_keys": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Key"
                    },
                    "description": "The keys this revoked (keys already revoked or expired are not listed)."
                  },
                  "sessions_ended": {
                    "type": "integer",
                    "minimum": 0
                  }
                }
              },
              "Introspection": {
                "oneOf": [
                  {
                    "type": "object",
                    "required": [
                      "active"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "active": {
                        "const": false
                      }
                    },
                    "description": "Not a key RoleSync would accept now: unknown, revoked, expired, not a gateway key, or its owner is inactive. Nothing else is said."
                  },
                  {
                    "type": "object",
                    "required": [
                      "active",
                      "sub",
                      "username",
                      "role",
                      "key_id",
                      "scope",
                      "iat"
                    ],
                    "properties": {
                      "active": {
                        "const": true
                      },
                      "sub": {
                        "type": "string",
                        "pattern": "^[1-9][0-9]*$",
                        "description": "The owner's RoleSync user id."
                      },
                      "username": {
                        "type": [
                          "string",
                          "null"
                        ],
                        "description": "The owner's email."
                      },
                      "role": {
                        "$ref": "#/components/schemas/Role"
                      },
                      "key_id": {
                        "type": "integer",
                        "minimum": 1
                      },
                      "scope": {
                        "const": "gateway"
                      },
                      "iat": {
                        "type": "integer",
                        "description": "When the key was created (Unix seconds)."
                      },
                      "exp": {
                        "type": "integer",
                        "description": "When the key expires (Unix seconds); absent when it never does."
                      }
                    },
                    "description": "An active gateway key, with its owner's role as of this request."
                  }
                ],
                "description": "RFC 7662 §2.2.",
                "examples": [
                  {
                    "active": false
                  },
                  {
                    "active": true,
                    "sub": "3",
                    "username": "ada@example.com",
                    "role": "model_admin",
                    "key_id": 12,
                    "scope": "gateway",
                    "iat": 1793610840,
                    "exp": 1801388040
                  }
                ]
              },
              "OAuthError": {
                "type": "object",
                "required": [
                  "error"
                ],
                "properties": {
                  "error": {
                    "type": "string",
                    "enum": [
                      "invalid_request",
                      "invalid_client"
                    ]
                  },
                  "error_description": {
                    "type": "string"
                  }
                },
                "description": "RFC 6749 §5.2."
              },
              "Override": {
                "type": "object",
                "required": [
                  "role",
                  "until",
                  "reason",
                  "granted_by",
                  "granted_at",
                  "previous_role"
                ],
                "properties": {
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  },
                  "until": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it ends, without waiting for a sign-in."
                  },
                  "reason": {
                    "type": "string"
                  },
                  "granted_by": {
                    "type": "string",
                    "description": "The actor who gave it (`user:ID`, `cli`)."
                  },
                  "granted_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "previous_role": {
                    "$ref": "#/components/schemas/Role",
                    "description": "The role held before the override; it returns if the mapping no longer decides one."
                  }
                },
                "description": "A time-boxed break-glass role of a covered user."
              },
              "OverrideGrant": {
                "type": "object",
                "required": [
                  "role",
                  "reason"
                ],
                "additionalProperties": false,
                "properties": {
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  },
                  "until": {
                    "type": "string",
                    "description": "When it ends: an RFC 3339 time, at most `override.max_duration` (default 8h) from now. Give `until` or `for`.",
                    "format": "date-time"
                  },
                  "for": {
                    "oneOf": [
                      {
                        "type": "string",
                        "pattern": "^[0-9]+(\\.[0-9]+)?[smhd]?$"
                      },
                      {
                        "type": "number",
                        "exclusiveMinimum": 0
                      }
                    ],
                    "description": "How long: `90m`, `2h`, or seconds."
                  },
                  "reason": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 500,
                    "pattern": "\\S"
                  }
                },
                "description": "A break-glass override: the role, when it ends (`until` or `for`, not both), and why.",
                "oneOf": [
                  {
                    "required": [
                      "until"
                    ]
                  },
                  {
                    "required": [
                      "for"
                    ]
                  }
                ]
              },
              "OverrideEnd": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "reason": {
                    "type": "string",
                    "maxLength": 500
                  }
                },
                "description": "Why the override ends early (optional)."
              },
              "ShadowDecision": {
                "type": "object",
                "required": [
                  "allowed",
                  "refusal",
                  "covered",
                  "role",
                  "status",
                  "rule",
                  "file"
                ],
                "properties": {
                  "allowed": {
                    "type": "boolean"
                  },
                  "refusal": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "covered": {
                    "type": "boolean"
                  },
                  "role": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "status": {
                    "$ref": "#/components/schemas/Status"
                  },
                  "rule": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "file": {
                    "type": "string"
                  }
                },
                "description": "One mapping's decision for the user: sign-in allowed or refused (and why), covered, the role, the status a `deactivate` rule gives, the rule and its file."
              },
              "ShadowReport": {
                "type": "object",
                "required": [
                  "candidates",
                  "since",
                  "total",
                  "counts",
                  "differences"
                ],
                "properties": {
                  "candidates": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "issuer",
                        "file"
                      ],
                      "properties": {
                        "issuer": {
                          "type": "string"
                        },
                        "file": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "since": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "total": {
                    "type": "integer",
                    "description": "Differences matching the query, in all."
                  },
                  "counts": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "integer"
                    },
                    "description": "Matching differences by kind: role, coverage, status, access."
                  },
                  "differences": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "issuer",
                        "subject",
                        "user_id",
                        "user",
                        "via",
                        "kinds",
                        "summary",
                        "live",
                        "candidate",
                        "first_seen",
                        "last_seen",
                        "occurrences"
                      ],
                      "properties": {
                        "issuer": {
                          "type": "string"
                        },
                        "subject": {
                          "type": "string"
                        },
                        "user_id": {
                          "type": [
                            "integer",
                            "null"
                          ]
                        },
                        "user": {
                          "type": "string"
                        },
                        "via": {
                          "type": "string",
                          "enum": [
                            "sign_in",
                            "reconcile",
                            "push"
                          ]
                        },
                        "kinds": {
                          "type": "array",
                          "items": {
                            "type": "string",
                            "enum": [
                              "role",
                              "coverage",
                              "status",
                              "access"
                            ]
                          }
                        },
                        "summary": {
                          "type": "string"
                        },
                        "live": {
                          "$ref": "#/components/schemas/ShadowDecision"
                        },
                        "candidate": {
                          "$ref": "#/components/schemas/ShadowDecision"
                        },
                        "first_seen": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "last_seen": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "occurrences": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                },
                "description": "Who the candidate (shadow) mappings would change, and why: each identity's latest evaluation (sign-in, reconciliation or push) on which the candidate decided differently, newest first."
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again. The text/html body is for browsers (no Accept: application/json).",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again. The text/html body is for browsers (no Accept: application/json).",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again. The text/html body is for browsers (no Accept: application/json).",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again. The text/html body is for browsers (no Accept: application/json).",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
            "/oauth/introspect": {
              "post": {
                "operationId": "introspect",
                "summary": "RFC 7662 token introspection: is this gateway key active, and for whom?",
                "description": "For the AI gateway, which authenticates with HTTP Basic as a client configured under `gateways:`. The answer reflects revocation, expiry and the owner's status and role as of this request. Errors are RFC 6749 errors, not problem details.",
                "security": [
                  {
                    "gatewayBasic": []
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/x-www-form-urlencoded": {
                      "schema": {
                        "type": "object",
                        "required": [
                          "token"
                        ],
                        "properties": {
                          "token": {
                            "type": "string",
                            "minLength": 1,
                            "description": "The key the gateway was shown."
                          },
                          "token_type_hint": {
                            "type": "string",
                            "description": "Accepted and ignored."
                          }
                        }
                      },
                      "example": {
                        "token": "rsk_Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789x9Qz"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The key's state: `{\"active\": false}` for anything not active.",
                    "headers": {
                      "Cache-Control": {
                        "description": "`no-store`: no answer outlives a revocation.",
                        "schema": {
                          "type": "string"
                        }
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Introspection"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "`invalid_request`: no `token` (or an empty one).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OAuthError"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "`invalid_client`: no credentials, or not a configured gateway's.",
                    "headers": {
                      "WWW-Authenticate": {
                        "description": "A `Basic` challenge.",
                        "required": true,
                        "schema": {
                          "type": "string",
                          "pattern": "^Basic( |$)"
                        }
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OAuthError"
                        }
                      }
                    }
                  },
                  "413": {
                    "description": "`invalid_request`: the body is too large.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OAuthError"
                        }
                      }
                    }
                  },
                  "415": {
                    "description": "`invalid_request`: the body is not `application/x-www-form-urlencoded`.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OAuthError"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`temporarily_unavailable`: the ledger's database cannot be reached, so whether the key is active is not known (never answered `active: false`). `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OAuthError"
                        }
                      }
                    }
                  }
                }
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
            "/api/keys": {
              "get": {
                "operationId": "listOwnKeys",
                "summary": "The caller's own keys, newest first.",
                "description": "Any signed-in user.",
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
                    "description": "The caller's keys (active, revoked and expired).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/KeyList"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
              "post": {
                "operationId": "createOwnKey",
                "summary": "Create a gateway key for the caller.",
                "description": "Any signed-in user. The answer holds the key itself, shown this once.",
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
                        "$ref": "#/components/schemas/KeyCreate"
                      },
                      "example": {
                        "name": "checkout-service-prod",
                        "expires_in": "90d"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "The key, with its value.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CreatedKey"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body is not a JSON object, lacks `name`, or has an unknown field; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "403": {
                    "description": "A cross-site write with the session cookie.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "One of the caller's active keys already has this name.",
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
                    "description": "An invalid `name` or `expires_in`; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
            "/api/keys/{id}/revoke": {
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
                  "description": "The key id."
                }
              ],
              "post": {
                "operationId": "revokeOwnKey",
                "summary": "Revoke one of the caller's own keys.",
                "description": "Any signed-in user, for their own keys only. At once, the key stops working everywhere (introspection answers `active: false`).",
                "security": [
                  {
                    "bearerAuth": []
                  },
                  {
                    "cookieAuth": []
                  }
                ],
                "requestBody": {
                  "required": false,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/OwnerRevocation"
                      },
                      "example": {
                        "reason": "rotated"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The key, now revoked.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Key"
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
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "403": {
                    "description": "A cross-site write with the session cookie.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "No such key, or it is not the caller's.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The key is already revoked.",
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
                    "description": "An invalid `reason`; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                    "description": "Concurrent changes, or the ledger's database cannot be reached (`ledger_unavailable`); nothing was changed, try again.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    },
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/admin/users/{id}/offboard": {
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
              "post": {
                "operationId": "offboardUser",
                "summary": "Offboard a user: revoke every key, end every session, deactivate (reason manual), in one transaction.",
                "description": "Needs `user_admin` or `super_admin` (and only a `super_admin` offboards a `super_admin`). All of it happens, or none of it does; the audit log shows a `key.revoked` per key (cause `offboarding`), then `user.sessions_ended`, then `user.status_changed`, each with the reason.",
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
                        "$ref": "#/components/schemas/Offboarding"
                      },
                      "example": {
                        "reason": "left the company on 2026-11-30"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The user after offboarding, the keys revoked and the number of sessions ended. A user already manually inactive holds no credential: nothing changes and nothing is listed; one the IdP deactivated becomes manually inactive.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/OffboardingResult"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter or the body is invalid (not a JSON object, no `reason`, an unknown field); `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "403": {
                    "description": "Not permitted, an escalation (only a super_admin offboards a super_admin), or a cross-site write.",
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
                    "description": "The user is the last active super_admin.",
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
                    "description": "An invalid `reason`; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Concurrent changes, or the ledger's database cannot be reached (`ledger_unavailable`); nothing was changed, try again.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    },
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/admin/users/{id}/override": {
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
              "post": {
                "operationId": "grantOverride",
                "summary": "Give a covered user a break-glass role until a deadline.",
                "description": "Needs `super_admin`. The role holds over the mapped one for sign-ins, reconciliation and pushes until `until` (at most `override.max_duration`, default 8h), then the mapped role returns without waiting for a sign-in; every step is audited (`user.override_granted`, `user.role_change_held` with `held_because: override`, `user.override_ended`). A new override replaces one in force. A deactivation ends it.",
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
                        "$ref": "#/components/schemas/OverrideGrant"
                      },
                      "example": {
                        "role": "model_admin",
                        "for": "2h",
                        "reason": "incident 4711: model gateway down"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The user with the override.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/UserDetail"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body is not a JSON object, or has an unknown field; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "403": {
                    "description": "Not a super_admin, or a cross-site write.",
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
                    "description": "The user's role is not the IdP's (edit it by hand), the user is inactive or the last active super_admin, or the override cannot be given now: its deadline is past or beyond `override.max_duration`, or the user already holds that role (`override_refused`, `field` names the input).",
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
                    "description": "A missing or unknown `role`, no `until`/`for` or both, an unreadable time or duration, or a `reason` missing, only spaces or over 500 characters; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Concurrent changes, or the ledger's database cannot be reached (`ledger_unavailable`); nothing was changed, try again.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    },
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "delete": {
                "operationId": "endOverride",
                "summary": "End a break-glass override now: the mapped role returns.",
                "description": "Needs `super_admin`. Audited as `user.override_ended` (reason `ended_early`).",
                "security": [
                  {
                    "bearerAuth": []
                  },
                  {
                    "cookieAuth": []
                  }
                ],
                "requestBody": {
                  "required": false,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/OverrideEnd"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The user with the mapped role back.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/UserDetail"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body is not a JSON object, or has an unknown field.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "403": {
                    "description": "Not a super_admin, or a cross-site write.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "No such user, or no override in force.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The role that returns would leave no active super_admin.",
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
                    "description": "An invalid `reason`.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Concurrent changes, or the ledger's database cannot be reached (`ledger_unavailable`); nothing was changed, try again.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    },
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
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
                        "key.created",
                        "key.revoked",
                        "token.created",
                        "token.revoked",
                        "user.override_granted",
                        "user.override_ended",
                        "mapping.promoted"
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
            "/api/admin/mapping/shadow": {
              "get": {
                "operationId": "shadowReport",
                "summary": "Who the candidate (shadow) mappings would change, and why.",
                "description": "Needs `user_admin` or `super_admin`. With `shadow:` configured, every real sign-in, reconciliation and push also evaluates the candidate mapping of its issuer, with no effect on the ledger; each identity's latest disagreement is kept for `shadow_retention` (default 14 days).",
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
                    "description": "Only differences seen at or after this time (RFC 3339, or a date)."
                  },
                  {
                    "name": "issuer",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 1024
                    },
                    "description": "Only this issuer's."
                  },
                  {
                    "name": "kind",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "string",
                      "enum": [
                        "role",
                        "coverage",
                        "status",
                        "access"
                      ]
                    }
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
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The differences, newest first, and their counts.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ShadowReport"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A query parameter is invalid; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "403": {
                    "description": "Not permitted.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "Concurrent changes, or the ledger's database cannot be reached (`ledger_unavailable`); nothing was changed, try again.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    },
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/admin/keys": {
              "get": {
                "operationId": "listKeys",
                "summary": "Every key on the platform: search, filter, sort, page.",
                "description": "Needs `user_admin` or `super_admin`.",
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
                    "description": "Case-insensitive substring of the key's name, its owner's name or email, or its prefix."
                  },
                  {
                    "name": "owner",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 9223372036854775807
                    },
                    "description": "Only this user's keys."
                  },
                  {
                    "name": "status",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "$ref": "#/components/schemas/KeyStatus"
                    },
                    "description": "Only this status."
                  },
                  {
                    "name": "purpose",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "$ref": "#/components/schemas/KeyPurpose"
                    },
                    "description": "Only this purpose."
                  },
                  {
                    "name": "sort",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "string",
                      "enum": [
                        "last_used",
                        "created",
                        "name",
                        "owner"
                      ],
                      "default": "created"
                    },
                    "description": "Sort key (`owner`: the owner's name, then email)."
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
                      "default": "desc"
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
                    "description": "A page of keys.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/KeysPage"
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
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
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
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
              "post": {
                "operationId": "createKey",
                "summary": "Create a key, gateway or admin, for the caller.",
                "description": "Needs `user_admin` or `super_admin`. The owner is always the caller; an admin key acts with the caller's role. The answer holds the key itself, shown this once.",
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
                        "$ref": "#/components/schemas/AdminKeyCreate"
                      },
                      "example": {
                        "name": "dashboard",
                        "expires_in": "30d",
                        "purpose": "admin"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "The key, with its value.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CreatedKey"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "The body is not a JSON object, lacks `name`, or has an unknown field; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
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
                  "409": {
                    "description": "One of the caller's active keys already has this name.",
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
                    "description": "An invalid `name`, `expires_in` or `purpose`; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
            "/api/admin/keys/{id}": {
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
                  "description": "The key id."
                }
              ],
              "get": {
                "operationId": "showKey",
                "summary": "A key, with its daily use over the last 90 days.",
                "description": "Needs `user_admin` or `super_admin`.",
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
                    "description": "The key.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/KeyDetail"
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
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
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
                    "description": "No such key.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
            "/api/admin/keys/{id}/revoke": {
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
                  "description": "The key id."
                }
              ],
              "post": {
                "operationId": "revokeKey",
                "summary": "Revoke any key, with a reason.",
                "description": "Needs `user_admin` or `super_admin`. At once, the key stops working everywhere. There is no un-revoke: create a new key.",
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
                        "$ref": "#/components/schemas/Revocation"
                      },
                      "example": {
                        "reason": "leaked in a public repository"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The key, now revoked.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Key"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter or the body is invalid (not a JSON object, no `reason`, an unknown field); `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "Not signed in (no session, or an unknown, expired or revoked admin key).",
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
                    "description": "No such key.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "The key is already revoked.",
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
                    "description": "An invalid `reason`; `field` names it.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`ledger_unavailable`: the ledger's database cannot be reached (PostgreSQL down or unreachable); nothing was changed. `Retry-After` says when to try again.",
                    "headers": {
                      "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
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
