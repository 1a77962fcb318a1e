import Foundation
import Logging
import PostgresNIO
import RoleSyncPostgres
import RoleSyncTestSupport
import Testing

@Suite(.enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL (scripts/peers/postgres start; .ci/run does)"))
struct PostgresLeaderElectionTests {
    let logger = ScratchPostgres.logger

    @Test("One replica leads a job until it resigns; the other takes over; jobs are elected one by one")
    func oneLeaderPerJob() async throws {
        try await ScratchPostgres.with { scratch in
            let a = PostgresLeaderElection(settings: scratch.settings, logger: logger)
            let b = PostgresLeaderElection(settings: scratch.settings, logger: logger)
            #expect(await a.lead("reconcile https://okta"))
            #expect(await !b.lead("reconcile https://okta"), "a second replica must not lead the same job")
            #expect(await a.lead("reconcile https://okta"), "the leader keeps its job")
            #expect(await b.lead("reconcile https://entra"), "another job has a leader of its own")
            #expect(await !a.lead("reconcile https://entra"))
            await a.resign()
            #expect(await b.lead("reconcile https://okta"), "the job is free once its leader resigned")
            #expect(await !a.lead("reconcile https://okta"))
            await b.resign()
            await a.resign()
        }
    }

    @Test("A leader whose session the server ended gives the job up; another replica takes it")
    func lostSession() async throws {
        try await ScratchPostgres.with { scratch in
            let a = PostgresLeaderElection(settings: scratch.settings, logger: logger)
            let b = PostgresLeaderElection(settings: scratch.settings, logger: logger)
            #expect(await a.lead("reconcile https://okta"))
            // What the server does when the leader's process dies or its network goes: the session ends.
            try await withPostgresClient(scratch.settings, logger: logger) { client in
                let ended = try await client.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_locks
                    WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """,
                    logger: logger
                ).decode(Bool.self).reduce(into: [Bool]()) { $0.append($1) }
                #expect(ended == [true])
            }
            // The lock went with the session, whatever the old leader still believes.
            #expect(await b.lead("reconcile https://okta"))
            #expect(await !a.lead("reconcile https://okta"), "the old leader notices and follows")
            await b.resign()
            #expect(await a.lead("reconcile https://okta"))
            await a.resign()
        }
    }
}
