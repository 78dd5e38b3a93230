package api

import (
	"github.com/modgate/modgate/internal/escalate"
)

// The screening handlers speak of escalation outcomes in these names.
type Outcome = escalate.Outcome

// Escalation outcomes as the screening answers report them.
const (
	OutcomePublished = escalate.Published
	OutcomeSpooled   = escalate.Spooled
)

// ErrTooLarge means the escalation cannot be carried by NATS (answered 413).
var ErrTooLarge = escalate.ErrTooLarge
