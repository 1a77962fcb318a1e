import Hummingbird

/// Admits a bounded number of requests at a time; the others wait, suspended, in arrival order.
///
/// SQLite takes one writer at a time, so eight concurrent role edits or dry runs do not finish
/// sooner than two: they only hold more of the two cores while they queue, and sign-ins, `/api/me`
/// and health checks, which run beside them, get less. Waiting here costs no CPU.
package actor AdmissionGate {
    package let limit: Int
    private var admitted = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    package init(limit: Int) {
        precondition(limit > 0, "an admission gate admits at least one request")
        self.limit = limit
    }

    /// Returns once the caller is admitted; call ``leave()`` when done.
    package func enter() async {
        if admitted < limit {
            admitted += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the place to the longest-waiting request, or frees it.
    package func leave() {
        if waiting.isEmpty {
            admitted -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Runs the admin API's changes (every method but GET and HEAD: role edits, dry runs) through an
/// ``AdmissionGate``; reads pass untouched.
struct AdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    let gate: AdmissionGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        await gate.enter()
        do {
            let response = try await next(request, context)
            await gate.leave()
            return response
        } catch {
            await gate.leave()
            throw error
        }
    }
}
