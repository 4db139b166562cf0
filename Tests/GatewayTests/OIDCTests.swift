import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import KafkaTesting
import Log
import Logging
import Store
import Testing

@testable import Gateway

/// `--auth oidc` in process: tokens of a test identity provider whose JWKS this suite serves
/// over HTTP (or from a file), against the gateway's router and a fresh SQLite store.
@Suite("OIDC: provider tokens checked against its JWKS, bounded key refresh, configuration")
struct OIDCTests {
    static let logger = Logger(label: "oidc-test")
    static let alice = UUID()
    static let deleted = UUID()

    static func configuration(
        jwksURL: String? = nil, jwksFile: String? = nil, refreshInterval: Duration = .seconds(30), keysMaxAge: Duration = .seconds(900),
        userClaim: String = "sub"
    ) -> GatewayConfiguration {
        GatewayConfiguration(
            log: LogLocation(brokers: "127.0.0.1:1", topicPrefix: "encore", kafkaProperties: [:]), authMode: .oidc,
            oidc: .init(
                jwksURL: jwksURL, jwksFile: jwksFile, issuer: TestIdentityProvider.issuer, audience: TestIdentityProvider.audience,
                userClaim: userClaim, refreshInterval: refreshInterval, keysMaxAge: keysMaxAge
            )
        )
    }

    /// The gateway over a store holding user `alice` and the deleted user `deleted`.
    static func withGateway(_ configuration: GatewayConfiguration, _ body: @Sendable (any TestClientProtocol) async throws -> Void)
        async throws
    {
        try await withInProcessGateway(
            configuration, logger: logger,
            prepare: { store in
                try await store.commit(
                    ProjectionBatch(
                        kind: .user,
                        snapshots: [
                            EntitySnapshot(
                                kind: .user, id: alice, version: 1,
                                state: .user(User(fname: "Alice", lname: "A", email: "alice@example.org"))),
                            EntitySnapshot(kind: .user, id: deleted, version: 2, state: nil),
                        ], outcomes: [], checkpoints: []))
            }, body)
    }

    /// Alice's record read with `token`.
    static func read(_ client: any TestClientProtocol, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/api/v2/users/\(alice.uuidString)", method: .get, headers: headers)
    }

    /// A 401 JSON error with the Bearer challenge, whose detail names `reason` and never the token.
    static func expectRefused(_ response: TestResponse, _ reason: String, token: String?, _ what: String) throws {
        #expect(response.status == .unauthorized, "\(what): \(response.status)")
        #expect(response.headers[.wwwAuthenticate] == "Bearer", "\(what)")
        let body = String(buffer: response.body)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(what): \(body)")
        #expect(json["error"] as? String == "unauthorized", "\(what)")
        #expect((json["detail"] as? String)?.contains(reason) == true, "\(what): \(body)")
        if let token { #expect(!body.contains(token), "\(what): the answer echoes the token") }
    }

    @Test(
        "good RS256 and ES256 tokens are accepted, with 60 s of clock skew; wrong issuer, audience, expiry, nbf, user, alg none and HS256 with the public key are 401"
    )
    func tokens() async throws {
        let provider = TestIdentityProvider()
        let rsaPEM = try await provider.addRSAKey("rsa-1")
        await provider.addES256Key("ec-1")
        try await provider.addRSAKey("unpublished")
        provider.publish(["rsa-1", "ec-1"])
        let alice = Self.alice.uuidString.lowercased()
        try await provider.serve { url in
            try await Self.withGateway(Self.configuration(jwksURL: url)) { client in
                let accepted: [(String, String)] = [
                    ("RS256", try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice))),
                    ("ES256, its JWK without alg", try await provider.token(kid: "ec-1", TestIdentityProvider.claims(sub: alice))),
                    (
                        "several audiences",
                        try await provider.token(
                            kid: "rsa-1", TestIdentityProvider.claims(sub: alice, audience: ["other", TestIdentityProvider.audience]))
                    ),
                    (
                        "user id in capitals",
                        try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: Self.alice.uuidString.uppercased()))
                    ),
                    (
                        "expired 20 s ago, within the clock skew",
                        try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice, expiresIn: -20))
                    ),
                    (
                        "valid 20 s from now, within the clock skew",
                        try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice, notBefore: 20))
                    ),
                ]
                for (what, token) in accepted {
                    let response = try await Self.read(client, token: token)
                    #expect(response.status == .ok, "\(what): \(String(buffer: response.body))")
                }

                let hmacWithPublicKey = JWTKeyCollection()
                await hmacWithPublicKey.add(hmac: HMACKey(from: rsaPEM), digestAlgorithm: .sha256, kid: "rsa-1")
                let publishedSecret = JWTKeyCollection()
                await publishedSecret.add(
                    hmac: HMACKey(from: "a shared secret a provider should not publish"), digestAlgorithm: .sha256, kid: "hmac")
                let good = TestIdentityProvider.claims(sub: alice)
                let refused: [(String, String?, String)] = [
                    ("no token", nil, "Authorization: Bearer"),
                    ("not a JWT", "nonsense", "not a JWT"),
                    (
                        "wrong issuer",
                        try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice, issuer: "https://evil.example")),
                        "another issuer"
                    ),
                    (
                        "wrong audience",
                        try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice, audience: ["another-api"])),
                        "another audience"
                    ),
                    (
                        "expired", try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice, expiresIn: -120)),
                        "expired"
                    ),
                    (
                        "not yet valid", try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: alice, notBefore: 3600)),
                        "not yet valid"
                    ),
                    (
                        "alg none", try TestIdentityProvider.forged(header: ["alg": "none", "kid": "rsa-1"], good),
                        "algorithm is not accepted"
                    ),
                    (
                        "HS256 signed with the RSA public key", try await hmacWithPublicKey.sign(good, kid: "rsa-1"),
                        "algorithm is not accepted"
                    ),
                    (
                        "HS256 with the oct key the JWKS carries", try await publishedSecret.sign(good, kid: "hmac"),
                        "algorithm is not accepted"
                    ),
                    (
                        "RS256 header on the ES256 key", try TestIdentityProvider.forged(header: ["alg": "RS256", "kid": "ec-1"], good),
                        "does not match"
                    ),
                    (
                        "signed by another key under a published kid",
                        try Self.relabel(try await provider.token(kid: "unpublished", good), kid: "rsa-1"), "signature"
                    ),
                    ("no kid", try TestIdentityProvider.forged(header: ["alg": "RS256"], good), "no key"),
                    (
                        "unknown user", try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: UUID().uuidString)),
                        "does not exist"
                    ),
                    (
                        "deleted user", try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: Self.deleted.uuidString)),
                        "does not exist"
                    ),
                    (
                        "subject not a user id",
                        try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: "alice@example.org")), "does not exist"
                    ),
                ]
                for (what, token, reason) in refused {
                    try Self.expectRefused(try await Self.read(client, token: token), reason, token: token, what)
                }
            }
        }
    }

    /// `token` with its header's `kid` replaced, its signature kept.
    static func relabel(_ token: String, kid: String) throws -> String {
        let parts = token.split(separator: ".").map(String.init)
        let header = try JSONSerialization.data(withJSONObject: ["alg": "RS256", "kid": kid])
        return [TestIdentityProvider.base64URL(header), parts[1], parts[2]].joined(separator: ".")
    }

    @Test("a key rotation: a token of a key not yet published is refused, then accepted once the JWKS has it; one refresh per interval")
    func rotation() async throws {
        let interval = Duration.seconds(2)
        let provider = TestIdentityProvider()
        try await provider.addRSAKey("old")
        try await provider.addRSAKey("new")
        provider.publish(["old"])
        let alice = Self.alice.uuidString.lowercased()
        let oldToken = try await provider.token(kid: "old", TestIdentityProvider.claims(sub: alice))
        let newToken = try await provider.token(kid: "new", TestIdentityProvider.claims(sub: alice))
        try await provider.serve { url in
            try await Self.withGateway(Self.configuration(jwksURL: url, refreshInterval: interval)) { client in
                #expect(provider.fetches == 1, "read once at start")
                #expect(try await Self.read(client, token: oldToken).status == .ok)
                #expect(provider.fetches == 1, "a known kid fetches nothing")

                let refreshed = ContinuousClock.now
                try Self.expectRefused(
                    try await Self.read(client, token: newToken), "not among the identity provider's keys", token: newToken,
                    "before the rotation")
                #expect(provider.fetches == 2, "an unknown kid refreshes once")

                provider.publish(["new"])
                let again = try await Self.read(client, token: newToken)
                if ContinuousClock.now - refreshed < interval {
                    #expect(again.status == .unauthorized, "within the interval the keys are not fetched again")
                    #expect(provider.fetches == 2)
                }
                try await eventually("the rotated key is accepted after the interval", timeout: .seconds(15)) {
                    try await Self.read(client, token: newToken).status == .ok
                }
                #expect(provider.fetches == 3)
                try Self.expectRefused(try await Self.read(client, token: oldToken), "not among", token: oldToken, "the retired key")
            }
        }
    }

    @Test("keys older than their maximum age are read again in the background: a key the provider withdrew stops being trusted")
    func withdrawnKey() async throws {
        let provider = TestIdentityProvider()
        try await provider.addRSAKey("kept")
        try await provider.addRSAKey("withdrawn")
        provider.publish(["kept", "withdrawn"])
        let alice = Self.alice.uuidString.lowercased()
        let kept = try await provider.token(kid: "kept", TestIdentityProvider.claims(sub: alice))
        let withdrawn = try await provider.token(kid: "withdrawn", TestIdentityProvider.claims(sub: alice))
        try await provider.serve { url in
            try await Self.withGateway(Self.configuration(jwksURL: url, refreshInterval: .seconds(1), keysMaxAge: .seconds(1))) { client in
                #expect(try await Self.read(client, token: withdrawn).status == .ok)
                provider.publish(["kept"])
                try await eventually("the withdrawn key is refused", timeout: .seconds(15)) {
                    try await Self.read(client, token: withdrawn).status == .unauthorized
                }
                #expect(provider.fetches >= 2)
                #expect(try await Self.read(client, token: kept).status == .ok, "the key still published is still trusted")
            }
        }
    }

    @Test("a provider that cannot be read answers 503 identity_provider_unavailable with Retry-After, not 401: the token may be good")
    func providerUnavailable() async throws {
        let provider = TestIdentityProvider()
        try await provider.addRSAKey("rsa-1")
        let token = try await provider.token(kid: "rsa-1", TestIdentityProvider.claims(sub: Self.alice.uuidString))
        try await Self.withGateway(Self.configuration(jwksURL: "http://127.0.0.1:1/jwks.json", refreshInterval: .seconds(7))) { client in
            let response = try await Self.read(client, token: token)
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "7")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(json["error"] as? String == "identity_provider_unavailable")
            #expect(!String(buffer: response.body).contains(token))
            try Self.expectRefused(try await Self.read(client, token: nil), "Authorization: Bearer", token: nil, "no token is still 401")
        }
    }

    @Test("a flood of unknown kids costs the provider one fetch; requests during a refresh share it")
    func flood() async throws {
        let provider = TestIdentityProvider(latency: .milliseconds(300))
        try await provider.addRSAKey("k1")
        try await provider.addRSAKey("k2")
        provider.publish(["k1"])
        let claims = TestIdentityProvider.claims(sub: Self.alice.uuidString)
        try await provider.serve { url in
            try await Self.withGateway(Self.configuration(jwksURL: url)) { client in
                #expect(provider.fetches == 1)
                // The first wave: the key rotated to k2; every request waits for the one refresh.
                provider.publish(["k1", "k2"])
                let rotated = try await provider.token(kid: "k2", claims)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<20 { group.addTask { try await Self.read(client, token: rotated).status } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
                #expect(provider.fetches == 2, "one refresh for all of them")

                // The flood: 200 made-up kids at once.
                let flood = try (0..<200).map { try TestIdentityProvider.forged(header: ["alg": "RS256", "kid": "made-up-\($0)"], claims) }
                let refused = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for token in flood { group.addTask { try await Self.read(client, token: token).status } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(refused.allSatisfy { $0 == .unauthorized })
                #expect(provider.fetches == 2, "within the interval no made-up kid fetches the keys again")
            }
        }
    }

    @Test("the keys from --jwks-file; the user from another claim with --user-claim")
    func keyFile() async throws {
        let provider = TestIdentityProvider()
        try await provider.addRSAKey("file-key", publishAlg: false)
        provider.publish(["file-key"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("encore-jwks-\(UUID()).json")
        try provider.document.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let claims = TestIdentityProvider.claims(sub: "opaque-provider-id", extra: ["encore_user": Self.alice.uuidString])
        let token = try await provider.token(kid: "file-key", claims)
        try await Self.withGateway(Self.configuration(jwksFile: file.path, userClaim: "encore_user")) { client in
            let response = try await Self.read(client, token: token)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
        try await Self.withGateway(Self.configuration(jwksFile: file.path)) { client in
            try Self.expectRefused(try await Self.read(client, token: token), "does not exist", token: token, "sub is not an Encore user")
        }
    }

    @Test("login does not issue tokens in oidc mode: 403 login_disabled")
    func loginDisabled() async throws {
        let provider = TestIdentityProvider()
        provider.publish([])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("encore-jwks-\(UUID()).json")
        try provider.document.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try await Self.withGateway(Self.configuration(jwksFile: file.path)) { client in
            let response = try await client.execute(
                uri: "/api/v1/user/login", method: .put, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"uid":"\#(Self.alice.uuidString)"}"#)
            )
            #expect(response.status == .forbidden)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(json["error"] as? String == "login_disabled")
            #expect((json["detail"] as? String)?.contains("identity provider") == true)
        }
    }

    @Test("configurations that cannot work are refused, naming what to set")
    func configurationErrors() async throws {
        let directory = FileManager.default.temporaryDirectory
        let notJWKS = directory.appendingPathComponent("encore-not-jwks-\(UUID()).json")
        try Data("{\"issuer\": \"x\"}".utf8).write(to: notJWKS)
        defer { try? FileManager.default.removeItem(at: notJWKS) }
        let base = Self.configuration().oidc
        let cases: [(String, GatewayConfiguration.OIDC, String)] = [
            ("no key source", base, "--jwks-url (ENCORE_JWKS_URL) or --jwks-file"),
            ("both", .init(jwksURL: "https://idp.example/jwks", jwksFile: notJWKS.path, issuer: "i", audience: "a"), "only one of"),
            ("not http", .init(jwksURL: "file:///etc/passwd", issuer: "i", audience: "a"), "http:// or https://"),
            (
                "unreadable file", .init(jwksFile: directory.appendingPathComponent("missing-\(UUID())").path, issuer: "i", audience: "a"),
                "cannot read the JWKS file"
            ),
            ("a directory", .init(jwksFile: directory.path, issuer: "i", audience: "a"), "cannot read the JWKS file"),
            ("no issuer", .init(jwksURL: "https://idp.example/jwks", audience: "a"), "--issuer or ENCORE_ISSUER"),
            ("no audience", .init(jwksURL: "https://idp.example/jwks", issuer: "i"), "--audience or ENCORE_AUDIENCE"),
            ("empty user claim", .init(jwksURL: "https://idp.example/jwks", issuer: "i", audience: "a", userClaim: ""), "--user-claim"),
        ]
        for (what, oidc, message) in cases {
            let configuration = GatewayConfiguration(
                log: LogLocation(brokers: "127.0.0.1:1", topicPrefix: "encore", kafkaProperties: [:]), authMode: .oidc, oidc: oidc)
            let error = #expect(throws: ConfigurationError.self, "\(what)") { try configuration.validate() }
            #expect(error?.description.contains(message) == true, "\(what): \(error?.description ?? "")")
        }
        let error = await #expect(throws: ConfigurationError.self) {
            try await Authenticator(configuration: Self.configuration(jwksFile: notJWKS.path), logger: Self.logger)
        }
        #expect(error?.description.contains("is not a JWKS document") == true, "\(error?.description ?? "")")
        // A provider that is down at start is not fatal: it may come up later.
        _ = try await Authenticator(configuration: Self.configuration(jwksURL: "http://127.0.0.1:1/jwks.json"), logger: Self.logger)
    }
}
