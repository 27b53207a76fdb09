-- The same job as `loyalty run --until rfm` with scripts/bench/bench.toml, in DuckDB:
-- read the orders, drop cancelled and refunded orders, net partial refunds, join the
-- id map (refs without a mapping are their own member, named channel:customer_ref),
-- group by member, rank-based scores as SPEC 5 defines them.
-- Placeholders: __ORDERS__, __IDMAP__, __ASOF__, __OUT__, __THREADS__.
SET threads = __THREADS__;
COPY (
  WITH orders AS (
    SELECT channel, customer_ref,
           CAST(amount AS DECIMAL(18, 2)) AS amount,
           lower(coalesce(nullif(status, ''), 'paid')) AS status,
           CAST(coalesce(nullif(refund_amount, ''), '0') AS DECIMAL(18, 2)) AS refund_amount,
           CAST(substr(order_time, 1, 10) AS DATE) AS d
    FROM read_csv('__ORDERS__', header = true, all_varchar = true, ignore_errors = true)
  ),
  counted AS (
    SELECT channel, customer_ref, d,
           CASE WHEN status = 'partially_refunded' THEN amount - refund_amount ELSE amount END AS net
    FROM orders
    WHERE status NOT IN ('cancelled', 'refunded') AND d <= DATE '__ASOF__'
  ),
  mapped AS (
    SELECT coalesce(m.member_id, c.channel || ':' || c.customer_ref) AS member_id, c.d, c.net
    FROM counted c
    LEFT JOIN read_csv('__IDMAP__', header = true, all_varchar = true) m
      ON m.channel = c.channel AND m.customer_ref = c.customer_ref
    WHERE c.net > 0
  ),
  agg AS (
    SELECT member_id,
           min(d) AS first_order_date,
           max(d) AS last_order_date,
           DATE '__ASOF__' - max(d) AS recency_days,
           count(*) FILTER (WHERE d >= DATE '__ASOF__' - 364) AS frequency,
           coalesce(sum(net) FILTER (WHERE d >= DATE '__ASOF__' - 364), 0) AS monetary
    FROM mapped
    GROUP BY member_id
  ),
  scored AS (SELECT * FROM agg WHERE frequency > 0),
  n AS (SELECT count(*) AS n FROM scored),
  scores AS (
    SELECT member_id,
           1 + (5 * (rank() OVER (ORDER BY recency_days DESC) - 1)) // n AS r_score,
           1 + (5 * (rank() OVER (ORDER BY frequency) - 1)) // n AS f_score,
           1 + (5 * (rank() OVER (ORDER BY monetary) - 1)) // n AS m_score
    FROM scored, n
  )
  SELECT a.member_id, a.first_order_date, a.last_order_date, a.recency_days, a.frequency, a.monetary,
         s.r_score, s.f_score, s.m_score
  FROM agg a LEFT JOIN scores s USING (member_id)
  ORDER BY a.member_id
) TO '__OUT__' (HEADER, DELIMITER ',');
