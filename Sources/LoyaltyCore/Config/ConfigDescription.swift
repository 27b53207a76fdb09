extension LoyaltyConfig {
  /// Every effective setting as `section.key = value` in TOML syntax, in a fixed order:
  /// what the manifest records, what the config hash covers, what the report's
  /// assumptions quote.
  public var settings: [(key: String, value: String)] {
    func list<T>(_ xs: [T]) -> String { "[" + xs.map { "\($0)" }.joined(separator: ", ") + "]" }
    func quoted(_ s: String) -> String {
      "\"" + s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
    let c = input.columns
    var out: [(String, String)] = [
      ("input.business_time_zone", quoted(input.businessTimeZone)),
      ("input.minor_digits", "\(input.minorDigits)"),
      ("input.currency", quoted(input.currency)),
      ("input.max_reject_share", "\(input.maxRejectShare)"),
      ("input.columns.order_id", quoted(c.orderID)),
      ("input.columns.channel", quoted(c.channel)),
      ("input.columns.customer_ref", quoted(c.customerRef)),
      ("input.columns.order_time", quoted(c.orderTime)),
      ("input.columns.amount", quoted(c.amount)),
      ("input.columns.status", quoted(c.status)),
      ("input.columns.refund_amount", quoted(c.refundAmount)),
      ("input.columns.refund_time", quoted(c.refundTime)),
      ("input.columns.phone_hash", quoted(c.phoneHash)),
      ("input.columns.email_hash", quoted(c.emailHash)),
      ("identity.link_keys", list(identity.linkKeys.map(quoted))),
      ("identity.max_refs_per_key", "\(identity.maxRefsPerKey)"),
      ("rfm.window_days", "\(rfm.windowDays)"),
      ("rfm.bins", "\(rfm.bins)"),
      ("rfm.method", quoted(rfm.method.rawValue)),
      ("rfm.fixed_recency_days", list(rfm.fixedRecency)),
      ("rfm.fixed_frequency", list(rfm.fixedFrequency)),
      ("rfm.fixed_monetary", list(rfm.fixedMonetary.map { Money.format($0, minorDigits: input.minorDigits) })),
      ("rfm.power_tag_shares", list(rfm.powerTagShares)),
    ]
    for (i, rule) in rfm.segments.enumerated() {
      out.append(
        (
          "rfm.segments[\(i + 1)]",
          "{ name = \(quoted(rule.name)), r = [\(rule.recency.lowerBound), \(rule.recency.upperBound)], f = [\(rule.frequency.lowerBound), \(rule.frequency.upperBound)], m = [\(rule.monetary.lowerBound), \(rule.monetary.upperBound)] }"
        ))
    }
    out += [
      ("lifecycle.new_days", "\(lifecycle.newDays)"),
      ("lifecycle.active_days", "\(lifecycle.activeDays)"),
      ("lifecycle.silent_days", "\(lifecycle.silentDays)"),
      ("lifecycle.sleeping_days", "\(lifecycle.sleepingDays)"),
      ("lifecycle.milestone_days", "\(lifecycle.milestoneDays)"),
      ("levels.count", "\(levels.count)"),
      ("levels.ratio", "\(levels.ratio)"),
      ("levels.shares", list(levels.shares)),
      ("levels.step", "\(levels.step)"),
      ("levels.window_days", "\(levels.windowDays)"),
      ("levels.bonus_per_order", "\(levels.bonusPerOrder)"),
      ("levels.thresholds", list(levels.thresholds)),
      ("levels.policy", quoted(levels.policy.rawValue)),
      ("levels.reviews", "\(levels.reviews)"),
      ("points.earn_rate", "\(points.earnRate)"),
      ("points.level_multipliers", list(points.levelMultipliers)),
      ("points.claim_ratio", "\(points.claimRatio)"),
      ("points.p_redeem", "\(points.redeemProbability)"),
      ("points.min_redeem", "\(points.minRedeem)"),
      ("points.redeem_fraction", "\(points.redeemFraction)"),
      ("points.expiry", quoted(points.expiry.rawValue)),
      ("points.expiry_months", "\(points.expiryMonths)"),
      ("points.target_redemption_rate", points.targetRedemptionRate.map { "\($0)" } ?? "\"\""),
      ("points.point_value", "\(points.pointValue)"),
      ("points.cost_ratio", "\(points.costRatio)"),
      ("points.mall_premium", "\(points.mallPremium)"),
      ("points.projection_months", "\(points.projectionMonths)"),
      ("points.runs", "\(points.runs)"),
      ("points.daily_cap", "\(points.dailyCap)"),
      ("points.expected_redemption_rate", "\(points.expectedRedemptionRate)"),
      ("points.sensitivity_claim_ratios", list(points.sensitivityClaimRatios)),
      ("points.sensitivity_redemption_rates", list(points.sensitivityRedemptionRates)),
      ("report.out_dir", quoted(report.outDir)),
      ("report.history_database", quoted(report.historyDatabase)),
      ("run.seed", "\(run.seed)"),
    ]
    return out
  }

  /// The settings as one text, `key = value` per line.
  public var settingsText: String { settings.map { "\($0.key) = \($0.value)\n" }.joined() }

  /// `settingsText` without where the files go (`[report]`) and the seed (which the
  /// month-over-month comparison names on its own): what makes two runs' figures
  /// comparable. Moving the reports or the history is not a change of method.
  public var comparedSettingsText: String {
    settings.filter { !$0.key.hasPrefix("report.") && $0.key != "run.seed" }.map { "\($0.key) = \($0.value)\n" }
      .joined()
  }
}
