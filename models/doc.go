// Package models scores messages with small learned text classifiers: one
// logistic-regression model per label (abuse, spam, …) over hashed
// character n-grams of the NORMALISED text, calibrated so a score is a
// probability. A model is an artefact like a lexicon: a versioned,
// checksummed file in the models folder (LABEL.mgm, with its model card
// LABEL.md and the recipe that trained it, LABEL.recipe), embedded as the
// default and hot-reloaded by the gateway.
//
// This package knows nothing of filters or policies: the caller hands it
// the normalised text and the extra-feature values, and maps explanation
// spans (byte ranges of the normalised text) back to the original itself.
// Training lives in models/train and the `modgate train` command.
package models
