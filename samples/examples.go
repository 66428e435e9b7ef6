package samples

// Example is an expression or query the app or the docs show, with the sample data it runs on. Tests run each one
// over its file (every record evaluates without an error, some match) and check each doc that quotes it quotes it
// as written here, so an example can never again fail on the samples beside it.
type Example struct {
	Text   string
	Stream string   // the stream the sample workspace feeds from File
	File   string   // the sample file, in FS
	Docs   []string // the repository's files that quote Text verbatim
}

// The records browser's filter, the analytics editor's query and its form's parts, and the delivery builder's
// processors, all on the clickstream sample (page, action, user, latency_ms, amount on purchases; no status).
var (
	RecordFilter = Example{Text: `data.latency_ms > 150 && key startsWith "user-"`, Stream: "clickstream",
		File: "clickstream-events.ndjson", Docs: []string{"docs/app.md"}}
	CheckoutFilter = Example{Text: `data.page == "/checkout" && key startsWith "user-"`, Stream: "clickstream",
		File: "clickstream-events.ndjson", Docs: []string{"README.md"}}
	AnalyticsQuery = Example{Text: `from clickstream where data.latency_ms > 150 group by data.page as page ` +
		`window tumbling 10s select count() as slow, p95(data.latency_ms) as p95_ms`, Stream: "clickstream",
		File: "clickstream-events.ndjson", Docs: []string{"docs/analytics.md"}}
	AnalyticsWhere = Example{Text: `data.latency_ms > 150`, Stream: "clickstream", File: "clickstream-events.ndjson"}
	DeliveryFilter = Example{Text: `data.action != "search"`, Stream: "clickstream", File: "clickstream-events.ndjson",
		Docs: []string{"docs/firehose.md"}}
)

// Filters are the examples that are record filters (recordexpr), Queries those that are analytics queries.
var (
	Filters = []Example{RecordFilter, CheckoutFilter, AnalyticsWhere, DeliveryFilter}
	Queries = []Example{AnalyticsQuery}
)
