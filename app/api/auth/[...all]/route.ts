import { authRouteHandler } from "~/server/auth/http";
import { services } from "~/server/services";

export const dynamic = "force-dynamic";

const handler = async (req: Request) => authRouteHandler(await services())(req);

export { handler as GET, handler as POST };
