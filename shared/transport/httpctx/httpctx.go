// Package httpctx carries what the API gateway knows of a request (its id, its matched
// route) to handlers and logs, without them depending on the Lambda event types.
package httpctx

import "context"

type key int

const (
	requestIDKey key = iota
	routeKeyKey
)

// With returns ctx carrying a request id and a route key.
func With(ctx context.Context, requestID, routeKey string) context.Context {
	ctx = context.WithValue(ctx, requestIDKey, requestID)
	return context.WithValue(ctx, routeKeyKey, routeKey)
}

// RequestID is the gateway's request id, "" when unknown.
func RequestID(ctx context.Context) string { s, _ := ctx.Value(requestIDKey).(string); return s }

// RouteKey is the matched route ("GET /api/documents/{id}/download"): what logs record
// instead of the raw path, which may carry a token.
func RouteKey(ctx context.Context) string { s, _ := ctx.Value(routeKeyKey).(string); return s }
