"""The two MaxChat pages a person opens in a browser, each posting to the API with the token
they paste: an app's install page (`/bot-invite/<app>`, from the invite helper) and a server
invite (`/invite/<code>`, the `url` of every invite). Both answer 404 in MaxChat's envelope
for what does not exist, and escape every name they show."""
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentRuntime
from api.maxchat.errors import MaxChatError, MaxChatRoute
from projections import apps, guilds

router = APIRouter(tags=["MaxChat: pages"], route_class=MaxChatRoute)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def invite_url(request: Request, code: str) -> str:
    return f"{base_url(request)}/invite/{code}"


@router.get("/bot-invite/{app_id}", response_class=HTMLResponse, include_in_schema=False)
async def install_page(app_id: str, runtime: CurrentRuntime) -> HTMLResponse:
    """A signed-in server owner installs the app here (it posts to `install`)."""
    row = apps.app(runtime.db, app_id)
    if row is None:
        raise MaxChatError(404, "app not found")
    return page(f"Install {escape(row['name'])}", "Install", f"/api/dev/apps/{app_id}/install",
                '<label>Server id <input id="s"></label>', "{serverId:v('s')}")


@router.get("/invite/{code}", response_class=HTMLResponse, include_in_schema=False)
async def invite_page(code: str, runtime: CurrentRuntime) -> HTMLResponse:
    """Someone invited joins the server here (it posts to `accept`)."""
    found = guilds.invite(runtime.db, code)
    server = guilds.guild(runtime.db, found["guild_id"]) if found is not None else None
    if server is None:
        raise MaxChatError(404, "invite not found")
    return page(f"Join {escape(server['name'])}", "Join", f"/api/invites/{code}/accept", "", "{}")


def page(title: str, button: str, action: str, fields: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html><meta charset="utf-8"><title>{title}</title>
<h1>{title}</h1><form id="f"><label>Your token <input id="t" type="password"></label>
{fields}<button>{button}</button></form><pre id="o"></pre>
<script>const v=i=>document.getElementById(i).value;
document.getElementById("f").onsubmit=async e=>{{e.preventDefault();
const r=await fetch("{action}",{{method:"POST",headers:{{"Content-Type":"application/json",
Authorization:"Bearer "+v("t")}},body:JSON.stringify({body})}});
document.getElementById("o").textContent=await r.text()}}</script>""")
