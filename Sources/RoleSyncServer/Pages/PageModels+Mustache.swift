import Mustache

// The view models rendered many times a page (table rows, times, options, headers) answer the
// template's look-ups directly instead of through `Mirror`, which swift-mustache otherwise builds
// for every `{{name}}`: a Users page of 50 rows rendered in about 8 ms through `Mirror` (the JSON
// API's same page takes 2 ms). Each `child(named:)` must list every stored property its template
// reads; `DashboardTests` render every page, so a missing name shows as missing text there.

extension UserRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "name": self.name
        case "email": email
        case "role": role
        case "managedByIdP": managedByIdP
        case "managedTitle": managedTitle
        case "organizationUnit": organizationUnit
        case "lastSignIn": lastSignIn
        case "status": status
        case "overrideUntil": overrideUntil
        default: nil
        }
    }
}

extension KeyRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "href": href
        case "name": self.name
        case "isAdminKey": isAdminKey
        case "ownerHref": ownerHref
        case "ownerLabel": ownerLabel
        case "prefix": prefix
        case "created": created
        case "lastUsed": lastUsed
        case "status": status
        case "isRevocable": isRevocable
        case "isStale": isStale
        default: nil
        }
    }
}

extension AuditRowsModel.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "time": time
        case "action": action
        case "sentence": sentence
        case "summary": summary
        case "actor": actor
        case "json": json
        default: nil
        }
    }
}

extension AuditRowsModel.Part: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "href": href
        case "email": email
        case "isCode": isCode
        default: nil
        }
    }
}

extension PageTime: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "iso": iso
        default: nil
        }
    }
}

extension Option: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": value
        case "label": label
        case "selected": selected
        default: nil
        }
    }
}

extension Column: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "href": href
        case "ariaSort": ariaSort
        default: nil
        }
    }
}

extension ReviewRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "userID": userID
        case "href": href
        case "name": self.name
        case "email": email
        case "role": role
        case "why": why
        case "basis": basis
        case "lastSignIn": lastSignIn
        case "keys": keys
        case "ifRevoked": ifRevoked
        case "actionHref": actionHref
        case "actionLabel": actionLabel
        case "keep": keep
        case "revoke": revoke
        default: nil
        }
    }
}
