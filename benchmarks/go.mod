module github.com/modgate/modgate/benchmarks

go 1.26.8

require (
	github.com/BobuSumisu/aho-corasick v1.0.3
	github.com/anknown/ahocorasick v0.0.0-20190904063843-d75dbd5169c0
	github.com/coregx/ahocorasick v0.3.1
	github.com/modgate/modgate v0.0.0
)

require (
	github.com/anknown/darts v0.0.0-20151216065714-83ff685239e6 // indirect
	github.com/cloudflare/ahocorasick v0.0.0-20240916140611-054963ec9396 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/modgate/modgate => ../
