// NestJS with @nestjs/passport's AuthGuard("jwt") over passport-jwt and
// jwks-rsa's passportJwtSecret, as the NestJS docs and jwks-rsa's README
// show, written without TypeScript: the decorators are applied as the
// compiler would. The verifier's error is recorded by wrapping
// JwtStrategy.JwtVerifier (only looks).
import "reflect-metadata";
import { Controller, Get, Injectable, Module, Req, UseGuards } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { AuthGuard, PassportModule, PassportStrategy } from "@nestjs/passport";
import { ExtractJwt, Strategy } from "passport-jwt";
import jwksRsa from "jwks-rsa";
import { runHTTP } from "./cases.mjs";

let record = () => {};
const verifier = Strategy.JwtVerifier;
Strategy.JwtVerifier = (token, key, options, cb) =>
  verifier(token, key, options, (err, payload) => {
    if (err) record(err);
    cb(err, payload);
  });

function method(cls, name, ...decorators) {
  const d = Object.getOwnPropertyDescriptor(cls.prototype, name);
  for (const dec of decorators.reverse()) dec(cls.prototype, name, d);
  Object.defineProperty(cls.prototype, name, d);
}

await runHTTP(
  "@nestjs/passport",
  async (c, rec) => {
    record = rec;
    class JwtStrategy extends PassportStrategy(Strategy, "jwt") {
      constructor() {
        super({
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri: c.jwksUrl, cache: true }),
          algorithms: [c.alg],
          issuer: c.issuer,
          audience: c.audience,
        });
      }
      validate(payload) {
        return payload;
      }
    }
    Injectable()(JwtStrategy);
    class MeController {
      me(req) {
        return { sub: req.user.sub };
      }
    }
    Req()(MeController.prototype, "me", 0);
    method(MeController, "me", Get("me"), UseGuards(AuthGuard("jwt")));
    Controller()(MeController);
    class AppModule {}
    Module({ imports: [PassportModule], controllers: [MeController], providers: [JwtStrategy] })(AppModule);
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
    return app.getHttpServer();
  },
  "passport-jwt",
);
