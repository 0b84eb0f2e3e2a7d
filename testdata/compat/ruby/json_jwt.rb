# json-jwt: JSON::JWT.decode with a JSON::JWK::Set of the JWKS, as its
# README shows, then iss, aud and exp checked by hand (json-jwt checks
# none). A Rails backend rescues JSON::JWT::Exception, the base of the
# errors json-jwt raises for a token (VerificationFailed, InvalidFormat,
# UnexpectedAlgorithm); the claim checks raise one of its own here.
#
# The protocol is ruby_jwt.rb's.
require 'json'
require 'net/http'
require 'json/jwt'

$stdout.sync = true

class ClaimError < JSON::JWT::VerificationFailed; end

def verify(c)
  jwks = JSON::JWK::Set.new(JSON.parse(Net::HTTP.get(URI(c.fetch('jwksUrl')))))
  claims = JSON::JWT.decode(c.fetch('token'), jwks, c.fetch('alg').to_sym)
  raise ClaimError, "iss #{claims['iss']}" unless claims['iss'] == c.fetch('issuer')
  raise ClaimError, "aud #{claims['aud']}" unless Array(claims['aud']).include?(c.fetch('audience'))
  raise ClaimError, 'expired' unless claims['exp'].to_i > Time.now.to_i
  claims
end

def error_text(err)
  text = "#{err.class}: #{err.message}"
  text += " (caused by #{err.cause.class}: #{err.cause.message})" if err.cause
  text
end

version = Gem.loaded_specs['json-jwt']&.version&.to_s || JSON::JWT::VERSION rescue 'unknown'
$stdin.each_line do |line|
  next if line.strip.empty?
  c = JSON.parse(line)
  result = { outcome: 'ok', error: '', version: version, with: '' }
  begin
    claims = verify(c)
    raise "verified, but the claims have no sub: #{claims.inspect}" if claims['sub'].to_s.empty?
  rescue JSON::JWT::Exception => e
    result[:outcome] = 'rejected'
    result[:error] = error_text(e)
  rescue StandardError, ScriptError => e
    result[:outcome] = 'crash'
    result[:error] = error_text(e)
  end
  puts JSON.generate(result)
end
