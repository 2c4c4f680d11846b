import ClusterModel
import Foundation
import Testing

@Suite("Node ids")
struct NodeIDTests {
    @Test func valid() throws {
        let id = try #require(NodeID("b897b6a6954bb471cb17532e870eaf0f95297f4e"))
        #expect(id.rawValue == "b897b6a6954bb471cb17532e870eaf0f95297f4e")
        #expect(id.description == id.rawValue)
        #expect(id.shortDescription == "b897b6a6")
        #expect(NodeID(Substring("0000000000000000000000000000000000000000")) != nil)
    }

    @Test(arguments: [
        "", "-", "b897b6a6954bb471cb17532e870eaf0f95297f4", "b897b6a6954bb471cb17532e870eaf0f95297f4e0",
        "B897B6A6954BB471CB17532E870EAF0F95297F4E", "g897b6a6954bb471cb17532e870eaf0f95297f4e",
        " 897b6a6954bb471cb17532e870eaf0f95297f4e", "b897b6a6954bb471cb17532e870eaf0f95297f4é",
    ])
    func invalid(text: String) {
        #expect(NodeID(text) == nil)
    }

    @Test func ordering() {
        let a = NodeID("0000000000000000000000000000000000000001")!
        let b = NodeID("a000000000000000000000000000000000000000")!
        #expect(a < b)
        #expect([b, a].sorted() == [a, b])
    }

    @Test func codableAsPlainString() throws {
        let id = NodeID("b897b6a6954bb471cb17532e870eaf0f95297f4e")!
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["b897b6a6954bb471cb17532e870eaf0f95297f4e"]"#)
        #expect(try JSONDecoder().decode([NodeID].self, from: data) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([NodeID].self, from: Data(#"["nope"]"#.utf8))
        }
    }

    @Test func roleCodable() throws {
        let data = try JSONEncoder().encode([NodeRole.primary, .replica, .unknown])
        #expect(String(decoding: data, as: UTF8.self) == #"["master","slave","unknown"]"#)
    }
}
