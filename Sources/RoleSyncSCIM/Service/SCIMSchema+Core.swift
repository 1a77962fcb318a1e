extension SCIMSchema {
    /// The common attributes of every resource (RFC 7643 §3.1), which no schema lists: `id`,
    /// `externalId`, `meta`, plus `schemas`.
    package static let commonAttributes: [Attribute] = [
        Attribute(
            "id",
            description: "A unique identifier for a SCIM resource as defined by the service provider.",
            caseExact: true,
            mutability: .readOnly,
            returned: .always,
            uniqueness: .server
        ),
        Attribute(
            "externalId",
            description: "A String that is an identifier for the resource as defined by the provisioning client.",
            caseExact: true
        ),
        Attribute(
            "meta",
            type: .complex,
            description: "A complex attribute containing resource metadata.",
            mutability: .readOnly,
            subAttributes: [
                Attribute("resourceType", description: "The name of the resource type of the resource.", caseExact: true, mutability: .readOnly),
                Attribute("created", type: .dateTime, description: "When the resource was added.", mutability: .readOnly),
                Attribute("lastModified", type: .dateTime, description: "When the resource was last modified.", mutability: .readOnly),
                Attribute("location", type: .reference, description: "The URI of the resource.", caseExact: true, mutability: .readOnly),
                Attribute("version", description: "The version of the resource.", caseExact: true, mutability: .readOnly),
            ]
        ),
        Attribute(
            "schemas",
            type: .reference,
            multiValued: true,
            description: "The schema URNs the resource follows.",
            caseExact: true,
            mutability: .readOnly,
            returned: .always
        ),
    ]

    /// The User schema RoleSync publishes (RFC 7643 §4.1, reduced): `userName`, `name`,
    /// `displayName`, `active` and `emails`. It also knows the read-only `groups`, unpublished.
    package static let user = SCIMSchema(
        id: SCIMResourceType.user.schemaURN,
        name: "User",
        description: "User Account",
        attributes: [
            Attribute(
                "userName",
                description:
                    "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. "
                    + "Each User MUST include a non-empty userName value. This identifier MUST be unique across the service "
                    + "provider's entire set of Users. REQUIRED.",
                required: true,
                uniqueness: .server
            ),
            Attribute(
                "name",
                type: .complex,
                description: "The components of the user's real name.",
                subAttributes: [
                    Attribute("formatted", description: "The full name, including all middle names, titles, and suffixes as appropriate."),
                    Attribute("familyName", description: "The family name of the User, or last name in most Western languages."),
                    Attribute("givenName", description: "The given name of the User, or first name in most Western languages."),
                    Attribute("middleName", description: "The middle name(s) of the User."),
                    Attribute("honorificPrefix", description: "The honorific prefix(es) of the User, or title in most Western languages."),
                    Attribute("honorificSuffix", description: "The honorific suffix(es) of the User, or suffix in most Western languages."),
                ]
            ),
            Attribute("displayName", description: "The name of the User, suitable for display to end-users."),
            Attribute("active", type: .boolean, description: "A Boolean value indicating the User's administrative status."),
            Attribute(
                "emails",
                type: .complex,
                multiValued: true,
                description: "Email addresses for the user. Canonical type values of 'work', 'home', and 'other'.",
                subAttributes: [
                    Attribute("value", description: "An email address for the user."),
                    Attribute("display", description: "A human-readable name, primarily used for display purposes."),
                    Attribute(
                        "type",
                        description: "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                        canonicalValues: ["work", "home", "other"]
                    ),
                    Attribute(
                        "primary",
                        type: .boolean,
                        description: "A Boolean value indicating the 'primary' or preferred email address. True MUST appear no more than once."
                    ),
                ]
            ),
        ],
        unpublishedAttributes: commonAttributes + [
            Attribute(
                "groups",
                type: .complex,
                multiValued: true,
                description: "A list of groups to which the user belongs, managed by the service provider.",
                mutability: .readOnly,
                subAttributes: [
                    Attribute("value", description: "The identifier of the User's group.", caseExact: true, mutability: .readOnly),
                    Attribute(
                        "$ref",
                        type: .reference,
                        description: "The URI of the corresponding Group resource.",
                        caseExact: true,
                        mutability: .readOnly,
                        referenceTypes: ["Group"]
                    ),
                    Attribute("display", description: "A human-readable name for the group.", mutability: .readOnly),
                    Attribute("type", description: "'direct' or 'indirect'.", mutability: .readOnly, canonicalValues: ["direct", "indirect"]),
                ]
            )
        ]
    )

    /// The Group schema RoleSync publishes (RFC 7643 §4.2): `displayName` and `members`.
    package static let group = SCIMSchema(
        id: SCIMResourceType.group.schemaURN,
        name: "Group",
        description: "Group",
        attributes: [
            Attribute("displayName", description: "A human-readable name for the Group. REQUIRED.", required: true),
            Attribute(
                "members",
                type: .complex,
                multiValued: true,
                description: "A list of members of the Group.",
                subAttributes: [
                    Attribute("value", description: "Identifier of the member of this Group.", caseExact: true, mutability: .immutable),
                    Attribute(
                        "$ref",
                        type: .reference,
                        description: "The URI corresponding to a SCIM resource that is a member of this Group.",
                        caseExact: true,
                        mutability: .immutable,
                        referenceTypes: ["User", "Group"]
                    ),
                    Attribute(
                        "type",
                        description: "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                        mutability: .immutable,
                        canonicalValues: ["User", "Group"]
                    ),
                    Attribute("display", description: "A human-readable name for the group member, primarily used for display purposes."),
                ],
                elementKey: "value"
            ),
        ]
    )
}
