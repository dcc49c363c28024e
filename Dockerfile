# Registry: multi-stage build of the server; the runtime image runs as a non-root user.
# docker build -t registry . && docker run -p 8081:8081 -v registry-data:/data registry
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Registry.Core/Registry.Core.csproj src/Registry.Core/
COPY src/Registry.Formats/Registry.Formats.csproj src/Registry.Formats/
COPY src/Registry.Storage/Registry.Storage.csproj src/Registry.Storage/
COPY src/Registry.Server/Registry.Server.csproj src/Registry.Server/
RUN dotnet restore src/Registry.Server/Registry.Server.csproj
COPY src/ src/
RUN dotnet publish src/Registry.Server/Registry.Server.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown "$APP_UID" /data
USER $APP_UID
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8081 \
    Registry__DataDirectory=/data \
    DOTNET_NOLOGO=1
EXPOSE 8081
ENTRYPOINT ["dotnet", "Registry.Server.dll"]
