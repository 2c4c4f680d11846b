import Foundation

/// Loads captured replies from `Fixtures/` (copied from `reference/valkey-9.1.2/`).
enum Fixtures {
    static func text(_ name: String) throws -> String {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    struct FixtureMissing: Error {
        var name: String
    }
}
