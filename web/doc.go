// Package web serves the officials' pages: server-rendered HTML over the
// same use cases (package cases) as the JSON API, so that a page and the API
// cannot disagree on a rule. It holds no rule of its own: a handler reads
// the form, calls a use case and renders its result or its *cases.Error.
//
// Everything the pages need is embedded: templates grouped by area, the
// stylesheet and images, and one translation file per language of the user
// interface. No page needs JavaScript; none loads anything from another
// site.
package web
