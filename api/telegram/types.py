"""How Telegram parameters arrive (research-compat §1.1): ints and booleans as strings
(`"10"`, `"True"`, `yes`: pydantic's lax mode reads them), JSON-typed parameters as a JSON
string or native JSON, `chat_id` as an int, a numeric string or `@username`."""
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BeforeValidator

from api.params import INT64_MAX, TooDeep, loads


def _json(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        try:
            return loads(value)
        except TooDeep as error:
            raise ValueError(f"can't parse JSON: {error}") from None
        except ValueError:
            raise ValueError("can't parse JSON") from None
    return value  # native JSON: its body was held to the same depth (api/params.values)


def _chat_id(value: Any) -> int | str:
    """An int, a numeric string, or any other string (`@username`; anything else is a chat
    nobody has: the method answers `chat not found`, as Telegram does)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if -INT64_MAX - 1 <= value <= INT64_MAX else str(value)  # nobody's id
    if isinstance(value, str):
        value = value.strip()
        try:
            number = int(value)
        except ValueError:
            return value
        return number if -INT64_MAX - 1 <= number <= INT64_MAX else value
    raise ValueError("must be an integer or a string")


T = TypeVar("T")
if TYPE_CHECKING:
    Json = Annotated[T, "JSON or a JSON string"]
else:
    class Json:
        """`Json[list[str]]`: the type, given natively or as a JSON string."""

        def __class_getitem__(cls, inner: Any) -> Any:
            return Annotated[inner, BeforeValidator(_json)]


ChatId = Annotated[int | str, BeforeValidator(_chat_id)]
