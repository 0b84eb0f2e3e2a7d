// NestJS with @nestjs/jwt's JwtService.verifyAsync in a guard, as the
// NestJS authentication docs show (any error: UnauthorizedException), the
// key from jwks-rsa's getSigningKey for the token's kid. Written without
// TypeScript: the decorators are applied as the compiler would.
import "reflect-metadata";
import { Controller, Get, Inject, Injectable, Module, Req, UnauthorizedException, UseGuards } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { JwtModule, JwtService } from "@nestjs/jwt";
import jwksRsa from "jwks-rsa";
import { runHTTP } from "./cases.mjs";

function method(cls, name, ...decorators) {
  const d = Object.getOwnPropertyDescriptor(cls.prototype, name);
  for (const dec of decorators.reverse()) dec(cls.prototype, name, d);
  Object.defineProperty(cls.prototype, name, d);
}

await runHTTP(
  "@nestjs/jwt",
  async (c, record) => {
    const client = jwksRsa({ jwksUri: c.jwksUrl, cache: true });
    class AuthGuard {
      constructor(jwtService) {
        this.jwtService = jwtService;
      }
      async canActivate(context) {
        const request = context.switchToHttp().getRequest();
        const [type, token] = request.headers.authorization?.split(" ") ?? [];
        if (type !== "Bearer" || !token) throw new UnauthorizedException();
        try {
          const { header } = this.jwtService.decode(token, { complete: true });
          const key = await client.getSigningKey(header.kid);
          request.user = await this.jwtService.verifyAsync(token, {
            publicKey: key.getPublicKey(),
            algorithms: [c.alg],
            issuer: c.issuer,
            audience: c.audience,
          });
        } catch (err) {
          record(err);
          throw new UnauthorizedException();
        }
        return true;
      }
    }
    Inject(JwtService)(AuthGuard, undefined, 0);
    Injectable()(AuthGuard);
    class MeController {
      me(req) {
        return { sub: req.user.sub };
      }
    }
    Req()(MeController.prototype, "me", 0);
    method(MeController, "me", Get("me"), UseGuards(AuthGuard));
    Controller()(MeController);
    class AppModule {}
    Module({ imports: [JwtModule.register({})], controllers: [MeController], providers: [AuthGuard] })(AppModule);
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
    return app.getHttpServer();
  },
  "jwks-rsa",
);
