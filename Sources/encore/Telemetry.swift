import Foundation
import Logging
import MetadataKeys
import OTel
import ServiceLifecycle
import Tracing

/// Tracing for the long-running commands: swift-otel's tracer, exporting spans over OTLP, set up
/// by the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`,
/// `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_SAMPLER`, `OTEL_BSP_SCHEDULE_DELAY`, …).
///
/// Off unless an OTLP endpoint (or `OTEL_TRACES_EXPORTER`) is set: the libraries' spans then go
/// to swift-distributed-tracing's no-op tracer and nothing is exported.
enum Telemetry {
    /// Bootstraps the tracer when the environment asks for one. Returns the exporter's service
    /// (none when tracing is off): run it first in the command's service group, so it shuts
    /// down last and flushes the last spans.
    static func tracingServices(serviceName: String, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> [any Service]
    {
        guard tracingRequested(by: environment) else { return [] }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.info(
            "tracing on",
            metadata: [
                MetadataKey.endpoint:
                    "\(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "default")",
                MetadataKey.service: "\(environment["OTEL_SERVICE_NAME"] ?? serviceName)",
            ])
        return [backend.service]
    }

    /// An endpoint or an explicit exporter turns tracing on; `OTEL_SDK_DISABLED=true` or
    /// `OTEL_TRACES_EXPORTER=none` keep it off.
    static func tracingRequested(by environment: [String: String]) -> Bool {
        let exporter = environment["OTEL_TRACES_EXPORTER"]?.lowercased()
        guard environment["OTEL_SDK_DISABLED"]?.lowercased() != "true", exporter != "none" else { return false }
        return exporter != nil || environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil
            || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil
    }
}
