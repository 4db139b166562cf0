import Foundation
import Testing

/// `--auth oidc` as the command line and `ENCORE_*` variables give it: refused at start, saying what to set.
@Suite("OIDC options of encore gateway and encore dev")
struct OIDCCommandTests {
    @Test("encore gateway and encore dev refuse oidc without a usable provider configuration, from options or ENCORE_* variables")
    func refusedAtStart() async throws {
        let store = "sqlite:\(FileManager.default.temporaryDirectory.path)/encore-oidc-\(UUID()).db"
        let gateway = ["gateway", "--brokers", "127.0.0.1:9", "--store", store]
        let missingFile = "\(FileManager.default.temporaryDirectory.path)/missing-\(UUID()).json"
        let cases: [(String, [String], [String: String], String)] = [
            (
                "no key source", gateway + ["--auth", "oidc", "--issuer", "https://idp.example", "--audience", "encore"], [:],
                "--jwks-url (ENCORE_JWKS_URL) or --jwks-file"
            ),
            (
                "variables", gateway,
                [
                    "ENCORE_AUTH": "oidc", "ENCORE_JWKS_FILE": missingFile, "ENCORE_ISSUER": "https://idp.example",
                    "ENCORE_AUDIENCE": "encore",
                ],
                "cannot read the JWKS file \(missingFile)"
            ),
            (
                "no issuer", gateway + ["--auth", "oidc", "--jwks-url", "https://idp.example/jwks"], ["ENCORE_AUDIENCE": "encore"],
                "--issuer or ENCORE_ISSUER"
            ),
            (
                "dev, before its broker starts",
                ["dev", "--auth", "oidc", "--data-dir", "\(FileManager.default.temporaryDirectory.path)/encore-oidc-dev-\(UUID())"], [:],
                "--jwks-url (ENCORE_JWKS_URL) or --jwks-file"
            ),
        ]
        for (what, arguments, environment, message) in cases {
            let result = try await ChildProcess.run(arguments, environment: environment)
            #expect(result.status != 0, "\(what)")
            #expect(result.standardError.contains(message), "\(what): \(result.output)")
        }
    }
}
