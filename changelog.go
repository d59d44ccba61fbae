package snsos

import _ "embed" // the changelog ships inside the binary

// Changelog is the project's CHANGELOG.md as it was when this binary was
// built: the public /changelog page renders it. It lives here because an
// embedded file must sit at or below the package that embeds it, and the
// changelog belongs at the root of the repository.
//
//go:embed CHANGELOG.md
var Changelog string
