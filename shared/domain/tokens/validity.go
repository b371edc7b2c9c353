package tokens

import "time"

// How long a set-password link works (PRODUCT.md §5). The tokens' expiry and the
// durations the mails state both come from here, so they cannot drift apart. A digest's
// no-login links live the space's LinkLifetimeDays, read the same way by both.
const (
	ActivationValidity = 7 * 24 * time.Hour
	RecoveryValidity   = time.Hour
)
