import Metrics

/// Publishes a lag report as gauges: kafka-lag-exporter's names, so its dashboards and alerts
/// work unchanged, beside Encore's own.
struct LagMetrics: Sendable {
    func record(_ report: LagReport) {
        for group in report.groups {
            for partition in group.partitions {
                let dimensions = [("group", group.group), ("topic", group.topic), ("partition", String(partition.partition))]
                Gauge(label: "kafka_consumergroup_group_lag", dimensions: dimensions).record(partition.lag)
                if let seconds = partition.lagSeconds {
                    Gauge(label: "kafka_consumergroup_group_lag_seconds", dimensions: dimensions).record(seconds)
                }
                Gauge(label: "encore_projection_checkpoint_offset", dimensions: dimensions).record(partition.checkpoint)
                Gauge(label: "encore_log_end_offset", dimensions: dimensions).record(partition.logEnd)
            }
            let dimensions = [("group", group.group)]
            Gauge(label: "kafka_consumergroup_group_max_lag", dimensions: dimensions).record(group.partitions.map(\.lag).max() ?? 0)
            if let seconds = group.lagSeconds {
                Gauge(label: "kafka_consumergroup_group_max_lag_seconds", dimensions: dimensions).record(seconds)
            }
            Gauge(label: "kafka_consumergroup_group_sum_lag", dimensions: dimensions).record(group.lag)
            if let rate = group.rate { Gauge(label: "encore_projection_records_per_second", dimensions: dimensions).record(rate) }
            if let members = group.members { Gauge(label: "encore_projection_members", dimensions: dimensions).record(members) }
            for status in LagStatus.allCases {
                Gauge(label: "encore_projection_status", dimensions: dimensions + [("status", status.rawValue)]).record(
                    status == group.status ? 1 : 0)
            }
        }
    }
}
