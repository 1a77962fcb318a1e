import Foundation
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// Test databases never outlive their test: the folder goes with its database and WAL files.
@Suite("Scratch folders")
struct ScratchFolderTests {
    @Test("A scratch folder and the ledger in it are gone once the test lets go of them")
    func removed() throws {
        var url: URL?
        do {
            let scratch = try ScratchFolder("check")
            url = scratch.url
            let store = try SQLiteLedgerStore(path: scratch.path("ledger.sqlite"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).contains("ledger.sqlite"))
            _ = store
        }
        let folder = try #require(url)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
