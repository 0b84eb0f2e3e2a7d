# ruby-jwt: JWT.decode with the jwks: option (a loader that fetches the
# JWKS, refetching when ruby-jwt asks to invalidate), algorithms, iss and
# aud, as ruby-jwt's README shows. A Rails backend rescues JWT::DecodeError,
# the base of every error ruby-jwt raises for a token.
#
# stdin: one case a line, {"alg", "jwksUrl", "token", "issuer", "audience"}.
# stdout: one result a line, {"outcome", "error", "version", "with"}
# (with is empty: these setups use no companion package):
#   ok        the library returned the claims
#   rejected  it raised JWT::DecodeError (a Rails backend answers 401)
#   crash     any other error escaped (Rails answers 500)
require 'json'
require 'net/http'
require 'jwt'

$stdout.sync = true

def verify(c)
  uri = URI(c.fetch('jwksUrl'))
  cached = nil
  jwks_loader = lambda do |options|
    cached = nil if options[:invalidate]
    cached ||= JSON.parse(Net::HTTP.get(uri))
  end
  payload, _header = JWT.decode(
    c.fetch('token'), nil, true,
    algorithms: [c.fetch('alg')],
    jwks: jwks_loader,
    iss: c.fetch('issuer'), verify_iss: true,
    aud: c.fetch('audience'), verify_aud: true,
    required_claims: %w[exp iss aud]
  )
  payload
end

def error_text(err)
  text = "#{err.class}: #{err.message}"
  text += " (caused by #{err.cause.class}: #{err.cause.message})" if err.cause
  text
end

$stdin.each_line do |line|
  next if line.strip.empty?
  c = JSON.parse(line)
  result = { outcome: 'ok', error: '', version: JWT::VERSION::STRING, with: '' }
  begin
    claims = verify(c)
    raise "verified, but the claims have no sub: #{claims.inspect}" if claims['sub'].to_s.empty?
  rescue JWT::DecodeError => e
    result[:outcome] = 'rejected'
    result[:error] = error_text(e)
  rescue StandardError, ScriptError => e
    result[:outcome] = 'crash'
    result[:error] = error_text(e)
  end
  puts JSON.generate(result)
end
