"""LINE WORKS request and response shapes: token answers, message contents, callback events (pydantic)."""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# bot: send messages; user.profile.read: GET /users/{userId} (resolve a typed login ID to the user id).
SCOPE = "bot user.profile.read"


class TokenResponse(BaseModel):
    """POST /oauth2/v2.0/token answer. expires_in arrives as a string of seconds ("86400")."""

    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1)
    refresh_token: str = ""
    token_type: str = "Bearer"  # noqa: S105 - the token type name
    scope: str = ""
    expires_in: int

    @field_validator("expires_in", mode="before")
    @classmethod
    def _seconds(cls, value):
        return int(value)


class ErrorBody(BaseModel):
    """`{"code": "TOO_MANY_REQUESTS", "description": "API rate limit exceeded"}` and friends."""

    model_config = ConfigDict(extra="ignore")

    code: str = ""
    description: str = ""


# ---------------------------------------------------------------- domains

DOMAIN_ID_MAX = 2**63 - 1  # LINE WORKS documents domainId as int64


def domain_id_parse(value) -> int:
    """The domain id as LINE WORKS has it (an int64): full-width digits and spaces are folded, leading zeros
    dropped, so "040000001", "４００００００１" and 40000001 are one domain. ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError("not a domain id")
    if isinstance(value, int):
        number = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError("not a domain id")
        number = int(text)
    if not 0 < number <= DOMAIN_ID_MAX:
        raise ValueError("domain id out of range")
    return number


class BotDomain(BaseModel):
    """One entry of GET /bots/{botId}/domains: a domain the bot is registered in."""

    model_config = ConfigDict(extra="ignore")

    domainId: int  # noqa: N815 - LINE WORKS's field names
    visible: bool = False
    allowToSelectedMember: bool = False  # noqa: N815


class ResponseMetaData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    nextCursor: str | None = None  # noqa: N815


class BotDomainList(BaseModel):
    """GET /bots/{botId}/domains answer: `{"domains": [...], "responseMetaData": {"nextCursor": ...}}`."""

    model_config = ConfigDict(extra="ignore")

    domains: list[BotDomain]
    responseMetaData: ResponseMetaData = ResponseMetaData()  # noqa: N815


# ---------------------------------------------------------------- users

class UserName(BaseModel):
    model_config = ConfigDict(extra="ignore")

    lastName: str | None = ""  # noqa: N815 - LINE WORKS's field names
    firstName: str | None = ""  # noqa: N815


class LineWorksUser(BaseModel):
    """GET /users/{userId} answer (only what we use): the user id (UUID-like), login ID and name."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    user_id: str = Field(alias="userId", min_length=1)
    email: str | None = ""
    userName: UserName | None = None  # noqa: N815

    @property
    def display_name(self) -> str:
        name = self.userName or UserName()
        return " ".join(part for part in (name.lastName, name.firstName) if part) or (self.email or "")


# ---------------------------------------------------------------- message contents (request bodies)

class UriAction(BaseModel):
    type: Literal["uri"] = "uri"
    label: str = Field(max_length=20)
    uri: str = Field(max_length=1000)


class MessageAction(BaseModel):
    """A button that makes the user say `label`; we receive `postback` in the message event."""

    type: Literal["message"] = "message"
    label: str = Field(max_length=20)
    postback: str = Field(max_length=300)


class TextContent(BaseModel):
    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=2000)


class LinkContent(BaseModel):
    type: Literal["link"] = "link"
    contentText: str = Field(min_length=1, max_length=1000)  # noqa: N815 - LINE WORKS's field names
    linkText: str = Field(min_length=1, max_length=1000)  # noqa: N815
    link: str = Field(min_length=1, max_length=1000)


class ButtonTemplateContent(BaseModel):
    """Up to 10 buttons; postback actions are not allowed here (LINE WORKS rule), uri and message are."""

    type: Literal["button_template"] = "button_template"
    contentText: str = Field(min_length=1, max_length=1000)  # noqa: N815
    actions: list[UriAction | MessageAction] = Field(min_length=1, max_length=10)


Content = TextContent | LinkContent | ButtonTemplateContent


def message_body(content: Content) -> dict:
    """The request body of the send endpoints: `{"content": {...}}`."""
    return {"content": content.model_dump()}


# ---------------------------------------------------------------- rich menus

class PostbackAction(BaseModel):
    """A rich-menu button: the bot receives a postback event with `data` (postback works in rich menus)."""

    type: Literal["postback"] = "postback"
    label: str = Field(max_length=20)
    data: str = Field(min_length=1, max_length=300)
    displayText: str = Field(default="", max_length=300)  # noqa: N815 - LINE WORKS's field names


class RichmenuBounds(BaseModel):
    x: int = Field(ge=0, le=2500)
    y: int = Field(ge=0, le=1686)
    width: int = Field(gt=0, le=2500)
    height: int = Field(gt=0, le=1686)


class RichmenuArea(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: PostbackAction
    bounds: RichmenuBounds


class RichmenuSize(BaseModel):
    width: Literal[2500] = 2500
    height: Literal[843, 1686] = 843


class Richmenu(BaseModel):
    """POST /bots/{botId}/richmenus body and answer (the answer adds richmenuId)."""

    model_config = ConfigDict(extra="ignore")

    richmenuId: str = ""  # noqa: N815 - read-only, set by LINE WORKS
    richmenuName: str = Field(min_length=1, max_length=300)  # noqa: N815
    areas: list[RichmenuArea] = Field(min_length=1, max_length=20)
    size: RichmenuSize = RichmenuSize()

    def request_body(self) -> dict:
        return self.model_dump(exclude={"richmenuId"})


# ---------------------------------------------------------------- callbacks (what the bot receives)

class CallbackSource(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userId: str = ""  # noqa: N815
    channelId: str = ""  # noqa: N815
    domainId: int | str | None = None  # noqa: N815


class CallbackContent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = ""
    text: str = ""
    postback: str = ""


class CallbackEvent(BaseModel):
    """message / postback / join / leave / joined / left / begin / end events."""

    model_config = ConfigDict(extra="ignore")

    type: str
    source: CallbackSource = CallbackSource()
    issuedTime: str = ""  # noqa: N815
    content: CallbackContent | None = None
    data: str = ""

    @property
    def command(self) -> str:
        """What the user asked for: postback data, a message button's postback, or the typed text."""
        if self.type == "postback":
            return self.data.strip()
        if self.content is not None:
            return (self.content.postback or self.content.text).strip()
        return ""
