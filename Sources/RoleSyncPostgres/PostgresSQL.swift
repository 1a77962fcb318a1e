import PostgresNIO

/// A statement built in pieces: fixed SQL text, and every value a bind (`$n`), never spliced.
struct PostgresSQL {
    private(set) var text: String
    private(set) var bindings = PostgresBindings()

    init(_ text: String = "") { self.text = text }

    /// Appends fixed SQL (never a value from outside).
    mutating func append(_ sql: String) { text += sql }

    /// Binds `value` and returns its placeholder.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
        try bindings.append(value)
        return "$\(bindings.count)"
    }

    /// Binds an optional `value` (SQL NULL when `nil`) and returns its placeholder.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value?) throws -> String {
        try bindings.append(value)
        return "$\(bindings.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: bindings) }
}
