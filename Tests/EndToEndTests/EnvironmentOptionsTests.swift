import Foundation
import KafkaTesting
import LocalBroker
import ProcessSupport
import StoreTesting
import Testing

/// Every option's `ENCORE_*` variable is read by the option's own parser: a value it cannot read
/// refuses the start (exit code 64) with a sentence naming the variable, the value and what it
/// accepts, exactly as the flag's value would be refused.
@Suite("ENCORE_* variables refuse what their options cannot read")
struct EnvironmentOptionsTests {
    /// A command whose refusal is wanted: the broker and store are never reached.
    static let gateway = ["gateway", "--brokers", "127.0.0.1:9", "--auth", "none", "--store", "sqlite:/nonexistent/never-opened.db"]
    static let dev = ["dev", "--data-dir", "/nonexistent/never-created"]
    static let projector = ["projector", "--brokers", "127.0.0.1:9", "--store", "sqlite:/nonexistent/never-opened.db"]

    /// Runs `command` with `flag` added, then with `variable` set instead; both must be refused.
    /// Returns the variable's refusal.
    static func refused(_ command: [String], flag: [String], variable: (String, String)) async throws -> String {
        let byFlag = try await ChildProcess.run(command + flag)
        #expect(byFlag.status == 64, "\(command) \(flag): \(byFlag.output)")
        let byVariable = try await ChildProcess.run(command, environment: [variable.0: variable.1])
        #expect(byVariable.status == 64, "\(command) with \(variable.0)=\(variable.1): \(byVariable.output)")
        #expect(byVariable.standardError.contains(variable.0), "names the variable: \(byVariable.standardError)")
        #expect(byVariable.standardError.contains(variable.1), "names the value: \(byVariable.standardError)")
        #expect(!byVariable.standardError.contains("Fatal error"))
        return byVariable.standardError
    }

    @Test("integers: ENCORE_PORT=80x, ENCORE_PARTITIONS=six, ENCORE_MAX_RECORDS_PER_SECOND=many")
    func integers() async throws {
        for command in [Self.gateway, Self.dev] {
            let port = try await Self.refused(command, flag: ["--port", "80x"], variable: ("ENCORE_PORT", "80x"))
            #expect(port.contains("whole number"), "\(port)")
        }
        _ = try await Self.refused(Self.gateway, flag: ["--partitions", "six"], variable: ("ENCORE_PARTITIONS", "six"))
        _ = try await Self.refused(
            Self.projector, flag: ["--max-records-per-second", "many"], variable: ("ENCORE_MAX_RECORDS_PER_SECOND", "many"))
    }

    @Test("numbers: ENCORE_WRITE_RATE_LIMIT=fast")
    func numbers() async throws {
        let refusal = try await Self.refused(
            Self.gateway, flag: ["--write-rate-limit", "fast"], variable: ("ENCORE_WRITE_RATE_LIMIT", "fast"))
        #expect(refusal.contains("number"), "\(refusal)")
    }

    @Test("booleans: ENCORE_LOGIN_BY_ID=False and ENCORE_DURABLE_ACKS=yes are refused, not read as the default")
    func booleans() async throws {
        let login = try await Self.refused(Self.gateway, flag: ["--login-by-id", "False"], variable: ("ENCORE_LOGIN_BY_ID", "False"))
        #expect(login.contains("true or false"), "\(login)")
        _ = try await Self.refused(Self.dev, flag: ["--durable-acks", "yes"], variable: ("ENCORE_DURABLE_ACKS", "yes"))
    }

    @Test("enumerations: ENCORE_ROLE=Read, ENCORE_AUTH=nonee, ENCORE_LOG_LEVEL=loud name the accepted values")
    func enumerations() async throws {
        let role = try await Self.refused(Self.gateway, flag: ["--role", "Read"], variable: ("ENCORE_ROLE", "Read"))
        #expect(role.contains("write, read, all"), "\(role)")
        for command in [Self.gateway, Self.dev] {
            let auth = try await Self.refused(
                command.filter { $0 != "--auth" && $0 != "none" }, flag: ["--auth", "nonee"], variable: ("ENCORE_AUTH", "nonee"))
            #expect(auth.contains("jwt") && auth.contains("oidc"), "\(auth)")
        }
        let level = try await Self.refused(Self.projector, flag: ["--log-level", "loud"], variable: ("ENCORE_LOG_LEVEL", "loud"))
        #expect(level.contains("debug"), "\(level)")
    }

    @Test("URLs: ENCORE_JWKS_URL=ftp://… is refused before the gateway starts")
    func urls() async throws {
        let oidc =
            Self.gateway.filter { $0 != "--auth" && $0 != "none" } + [
                "--auth", "oidc", "--issuer", "https://id.example", "--audience", "encore",
            ]
        _ = try await Self.refused(
            oidc, flag: ["--jwks-url", "ftp://id.example/keys"], variable: ("ENCORE_JWKS_URL", "ftp://id.example/keys"))
    }

    @Test("lists: ENCORE_MODELS=users,songs and ENCORE_CORS_ORIGINS=localhost:3000 name the bad entry")
    func lists() async throws {
        let models = try await Self.refused(Self.projector, flag: ["--models", "users,songs"], variable: ("ENCORE_MODELS", "users,songs"))
        #expect(models.contains("unknown read model songs"), "\(models)")
        let origins = try await Self.refused(
            Self.gateway, flag: ["--cors-origins", "localhost:3000"], variable: ("ENCORE_CORS_ORIGINS", "localhost:3000"))
        #expect(origins.contains("is not an origin"), "\(origins)")
    }

    @Test("ENCORE_LOGIN_BY_ID=false turns login by id off, =true leaves it on (with a warning at start)")
    func loginByID() async throws {
        try await withStoreURL(.sqlite) { store in
            for (value, status) in [("false", 403), ("true", 404)] {
                let port = try TCPProbe.freePort()
                let errors = FileManager.default.temporaryDirectory.appendingPathComponent("encore-login-\(UUID()).stderr")
                _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
                defer { try? FileManager.default.removeItem(at: errors) }
                let gateway = try ChildProcess.encore(
                    [
                        "gateway", "--role", "read", "--port", "\(port)", "--brokers", "127.0.0.1:9", "--store", store, "--auth", "jwt",
                        "--jwt-secret", EncoreHarness.jwtSecret,
                    ],
                    environment: ["ENCORE_LOGIN_BY_ID": value], standardError: try FileHandle(forWritingTo: errors)
                )
                defer { gateway.kill() }
                let api = ChildHTTP(port: port)
                try await eventually("the gateway answers /health", timeout: .seconds(60)) {
                    (try? await api.request("GET", "/health"))?.status == 200
                }
                // 403 login_disabled when off; when on, the unknown user is looked up (404).
                let login = try await api.request("PUT", "/api/v1/user/login", json: ["uid": UUID().uuidString])
                #expect(login.status == status, "ENCORE_LOGIN_BY_ID=\(value): \(login.text)")
                let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                #expect(log.contains("login by id is on") == (value == "true"), "ENCORE_LOGIN_BY_ID=\(value): \(log)")
            }
        }
    }
}
