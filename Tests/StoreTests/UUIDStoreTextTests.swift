import Foundation
import Testing

@testable import Store

@Suite("UUID store text")
struct UUIDStoreTextTests {
    @Test("is the lowercase canonical form and parses back")
    func canonical() throws {
        for _ in 0..<100 {
            let id = UUID()
            #expect(id.storeText == id.uuidString.lowercased())
            #expect(try UUID(storeText: id.storeText) == id)
        }
        #expect(throws: CorruptRow.self) { try UUID(storeText: "not-a-uuid") }
    }
}
