/// Finds the monthly redemption probability p_redeem that makes the simulated
/// redemption rate (mean over runs of redeemed / issued at as-of) hit a target.
enum PointsCalibrator {
  /// The outcome of a search, with whatever the evaluation returned at the chosen p.
  struct Outcome<Payload> {
    var redeemProbability: Double
    var rate: Double
    var payload: Payload
    var hit: Bool
    var reachable: Bool
    var rateAtCertainRedemption: Double
    var evaluations: Int
  }

  /// Bisection on p in [0, 1]. The rate rises with p (more redemption draws succeed;
  /// every run reuses the same random numbers, so the curve is nearly monotone).
  /// 1. Evaluate p = 1. When its rate is below target - tolerance the target is
  ///    unreachable: return p = 1, `reachable` false. When it is within the tolerance,
  ///    return p = 1.
  /// 2. A target within the tolerance of 0 is met by p = 0 (no redemption).
  /// 3. Otherwise halve [low, high] = [0, 1] up to `maxIterations` times, going up when
  ///    the rate at the midpoint is below the target, and stop at the first midpoint
  ///    within the tolerance. When none is, return the evaluated p whose rate was
  ///    closest (`hit` false).
  static func bisect<Payload>(
    target: Double, tolerance: Double = 0.005, maxIterations: Int = 30,
    evaluate: (Double) -> (rate: Double, payload: Payload)
  ) -> Outcome<Payload> {
    let top = evaluate(1)
    var best = Outcome(
      redeemProbability: 1, rate: top.rate, payload: top.payload,
      hit: abs(top.rate - target) <= tolerance, reachable: top.rate >= target - tolerance,
      rateAtCertainRedemption: top.rate, evaluations: 1)
    if best.hit || !best.reachable { return best }
    if target <= tolerance {
      let bottom = evaluate(0)
      best.evaluations += 1
      if abs(bottom.rate - target) <= tolerance {
        best.redeemProbability = 0
        best.rate = bottom.rate
        best.payload = bottom.payload
        best.hit = true
        return best
      }
    }
    var low = 0.0
    var high = 1.0
    for _ in 0..<maxIterations {
      let middle = (low + high) / 2
      let result = evaluate(middle)
      best.evaluations += 1
      let hit = abs(result.rate - target) <= tolerance
      if hit || abs(result.rate - target) < abs(best.rate - target) {
        best.redeemProbability = middle
        best.rate = result.rate
        best.payload = result.payload
      }
      if hit {
        best.hit = true
        return best
      }
      if result.rate < target { low = middle } else { high = middle }
    }
    return best
  }
}
