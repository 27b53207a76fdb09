/// Summaries of Monte Carlo runs.
public enum PointsStatistics {
  /// The `p` quantile (0...1) of ascending `sorted` values by linear interpolation
  /// between order statistics (Hyndman & Fan type 7, R's default, numpy's `linear`):
  /// h = (n - 1) * p, the value x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h])
  /// with 0-based x. 0 for no values.
  public static func percentile(sorted: [Double], _ p: Double) -> Double {
    guard let first = sorted.first else { return 0 }
    if sorted.count == 1 { return first }
    let h = Double(sorted.count - 1) * min(max(p, 0), 1)
    let low = Int(h.rounded(.down))
    let high = min(low + 1, sorted.count - 1)
    return sorted[low] + (h - Double(low)) * (sorted[high] - sorted[low])
  }

  /// The arithmetic mean, summed in index order; 0 for no values.
  public static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
  }

  /// Mean, P5, P50 and P95 of one metric's per-run values.
  public static func summarize(_ name: String, _ values: [Double]) -> PointsMetricSummary {
    let sorted = values.sorted()
    return PointsMetricSummary(
      name: name, mean: mean(values), p5: percentile(sorted: sorted, 0.05),
      p50: percentile(sorted: sorted, 0.5), p95: percentile(sorted: sorted, 0.95))
  }
}
