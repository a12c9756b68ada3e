// SPDX-License-Identifier: BSD-2-Clause
#include <hekate/fmt.h>
#include <stdint.h>

struct spec {
	int left, zero, width, prec, lng;
};

struct out {
	fmt_putc_fn putc;
	void *ctx;
	int count;
};

static void emit(struct out *o, char c)
{
	o->putc(o->ctx, c);
	o->count++;
}

static void pad(struct out *o, int n, char c)
{
	while (n-- > 0)
		emit(o, c);
}

static void put_str(struct out *o, const struct spec *s, const char *str)
{
	int len = 0;
	if (!str)
		str = "(null)";
	while ((s->prec < 0 || len < s->prec) && str[len]) /* never read past the precision */
		len++;
	if (!s->left)
		pad(o, s->width - len, ' ');
	for (int i = 0; i < len; i++)
		emit(o, str[i]);
	if (s->left)
		pad(o, s->width - len, ' ');
}

static void put_num(struct out *o, const struct spec *s, uint64_t v, int base, int neg, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;
	do {
		buf[n++] = digits[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	int len = n + neg;
	if (!s->left && !s->zero)
		pad(o, s->width - len, ' ');
	if (neg)
		emit(o, '-');
	if (!s->left && s->zero)
		pad(o, s->width - len, '0');
	while (n)
		emit(o, buf[--n]);
	if (s->left)
		pad(o, s->width - len, ' ');
}

static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
	*s = (struct spec){0, 0, 0, -1, 0};
	for (;; f++) {
		if (*f == '-')
			s->left = 1;
		else if (*f == '0')
			s->zero = 1;
		else
			break;
	}
	if (*f == '*') {
		s->width = va_arg(*ap, int);
		f++;
	}
	while (*f >= '0' && *f <= '9')
		s->width = s->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		s->prec = 0;
		if (*f == '*') {
			s->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			s->prec = s->prec * 10 + (*f++ - '0');
	}
	while (*f == 'l' || *f == 'z') {
		s->lng += *f == 'z' ? 2 : 1;
		f++;
	}
	return f;
}

static uint64_t get_unsigned(const struct spec *s, va_list *ap)
{
	if (s->lng >= 2)
		return va_arg(*ap, unsigned long long);
	if (s->lng == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t get_signed(const struct spec *s, va_list *ap)
{
	if (s->lng >= 2)
		return va_arg(*ap, long long);
	if (s->lng == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void convert(struct out *o, struct spec *s, char c, va_list *ap)
{
	switch (c) {
	case 'c': emit(o, (char)va_arg(*ap, int)); break;
	case 's': put_str(o, s, va_arg(*ap, const char *)); break;
	case 'd':
	case 'i': {
		int64_t v = get_signed(s, ap);
		put_num(o, s, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, v < 0, 0);
		break;
	}
	case 'u': put_num(o, s, get_unsigned(s, ap), 10, 0, 0); break;
	case 'x':
	case 'X': put_num(o, s, get_unsigned(s, ap), 16, 0, c == 'X'); break;
	case 'p':
		emit(o, '0');
		emit(o, 'x');
		put_num(o, s, (uintptr_t)va_arg(*ap, void *), 16, 0, 0);
		break;
	default: /* unknown conversion: print it verbatim so the bug is visible */
		emit(o, '%');
		emit(o, c);
	}
}

int fmt_vformat(fmt_putc_fn putc, void *ctx, const char *fmt, va_list ap)
{
	struct out o = {putc, ctx, 0};
	va_list args;
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			emit(&o, *fmt++);
			continue;
		}
		struct spec s;
		fmt = parse_spec(fmt + 1, &s, &args);
		if (!*fmt)
			break;
		if (*fmt == '%')
			emit(&o, '%');
		else
			convert(&o, &s, *fmt, &args);
		fmt++;
	}
	va_end(args);
	return o.count;
}

struct bufctx {
	char *buf;
	size_t n, pos;
};

static void buf_putc(void *ctx, char c)
{
	struct bufctx *b = ctx;
	if (b->pos + 1 < b->n)
		b->buf[b->pos] = c;
	b->pos++;
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct bufctx b = {buf, n, 0};
	int len = fmt_vformat(buf_putc, &b, fmt, ap);
	if (n)
		buf[b.pos < n ? b.pos : n - 1] = '\0';
	return len;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = fmt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}
